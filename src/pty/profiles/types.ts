/**
 * Per-CLI behaviour of the PTY child (docs/clis.md). One profile per known CLI lives in this
 * folder; everything else gets the generic one (index.ts picks). A profile says how to tell ready,
 * busy and blocked on the rendered screen, what to answer on its own and how text is injected
 * (reminder kind, bracketed paste); how the CLI is started (bypass flag, MCP wiring) it takes from
 * the CLI catalogue (src/catalog/clis.ts).
 */
import type { CliFacts } from '../../catalog/clis.js'
import type { AutoAnswerRule } from '../ready/auto-answer.js'
import type { InjectionProfile } from '../inject/inject.js'
import type { ReadinessRule } from '../ready/readiness.js'
import type { SubmitProfile } from '../inject/submit.js'

/** What a profile reads from the rendered screen (the worker's `Screen` satisfies it). */
export interface ScreenView {
  /** Every visible row, right-trimmed (blank rows are empty strings). */
  visibleRows(): string[]
  /** The visible row under the cursor, right-trimmed. */
  cursorRowText(): string
}

export interface CliProfile {
  readonly name: string
  /** The CLI's static facts (names, bypass flags, MCP wiring kind). */
  readonly facts: CliFacts
  /** Ready / blocked verdicts on the startup screen. */
  readonly readiness: ReadinessRule
  readonly injection: InjectionProfile
  /**
   * True while the rendered screen shows the CLI mid-turn (a spinner, "esc to interrupt"…).
   * Wait-mode injections are held while this is true. Generic CLIs: never busy.
   */
  isBusy(view: ScreenView): boolean
  /** True when the CLI understands bracketed paste (ESC[200~ … ESC[201~) for multi-line text. */
  readonly bracketedPaste: boolean
  /** How typed text is taken and submitted (submit.ts); absent: GENERIC_SUBMIT. */
  readonly submit?: SubmitProfile
  /** Dialogs this CLI's child answers by itself (only this CLI's). */
  readonly autoAnswers: readonly AutoAnswerRule[]
}
