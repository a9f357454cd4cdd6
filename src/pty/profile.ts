/**
 * Per-CLI behaviour of the PTY child. Today every CLI gets the generic profile; a CLI that
 * needs its own readiness rule (a welcome banner, an auth gate…) or the MCP reminder gets
 * its own entry here, and nothing else has to change.
 */
import { GENERIC_INJECTION_PROFILE, type InjectionProfile } from './inject.js'
import { genericReadinessRule, type ReadinessRule } from './readiness.js'

/** What a profile reads from the rendered screen (the worker's `Screen` satisfies it). */
export interface ScreenView {
  /** Every visible row, right-trimmed (blank rows are empty strings). */
  visibleRows(): string[]
  /** The visible row under the cursor, right-trimmed. */
  cursorRowText(): string
}

export interface CliProfile {
  readonly name: string
  readonly readiness: ReadinessRule
  readonly injection: InjectionProfile
  /**
   * True while the rendered screen shows the CLI mid-turn (a spinner, "esc to interrupt"…).
   * Wait-mode injections are held while this is true. Generic CLIs: never busy.
   */
  isBusy(view: ScreenView): boolean
  /** True when the CLI understands bracketed paste (ESC[200~ … ESC[201~) for multi-line text. */
  readonly bracketedPaste: boolean
}

export function genericProfile(): CliProfile {
  return { name: 'generic', readiness: genericReadinessRule(), injection: GENERIC_INJECTION_PROFILE, isBusy: () => false, bracketedPaste: false }
}

/** The profile for a CLI (its command as given on the command line). */
export function profileFor(_cli: string): CliProfile {
  return genericProfile()
}
