/**
 * When does the CLI count as ready for input? A `ReadinessRule` looks at a `ReadinessView`
 * (timings, startup output, the parsed screen) on every tick and names a reason, or null.
 * The generic rule below applies to every CLI; per-CLI profiles can supply their own rule.
 */
import {
  PTY_TICK_MS,
  READY_SETTLE_MS,
  READY_SILENT_START_MS,
  STARTUP_OUTPUT_KEEP_CHARS,
  STARTUP_OUTPUT_MAX_CHARS,
  STARTUP_READY_TIMEOUT_MS
} from '../protocol/constants.js'

export type ReadyReason = 'prompt' | 'settled' | 'silent' | 'timeout' | 'marker'

export interface ReadinessView {
  nowMs: number
  spawnedAtMs: number
  /** Arrival of the first / latest PTY output, or null if none yet. */
  firstOutputAtMs: number | null
  lastOutputAtMs: number | null
  /** ANSI-stripped startup output (bounded, most recent kept). */
  startupOutput(): string
  /** The cursor's visible row, right-trimmed, from parsed state. */
  cursorRowText(): string
  /** True when every byte received so far has been parsed into the screen. */
  screenCurrent: boolean
}

export interface ReadinessRule {
  readonly name: string
  evaluate(view: ReadinessView): ReadyReason | null
}

export const READY_MARKER = '->pty:ready'
/** Prompt glyphs a cursor row may end with (`>>>` ends with `>` and is covered by it). */
export const PROMPT_GLYPHS: readonly string[] = ['>', '$', '#', '❯', '›', '>>>']

export function endsWithPrompt(row: string): boolean {
  const trimmed = row.trimEnd()
  if (trimmed.length === 0) return false
  for (const glyph of PROMPT_GLYPHS) if (trimmed.endsWith(glyph)) return true
  return false
}

export interface GenericTimings {
  promptQuietMs: number
  settleMs: number
  silentStartMs: number
  timeoutMs: number
}

export const GENERIC_TIMINGS: GenericTimings = Object.freeze({
  promptQuietMs: PTY_TICK_MS,
  settleMs: READY_SETTLE_MS,
  silentStartMs: READY_SILENT_START_MS,
  timeoutMs: STARTUP_READY_TIMEOUT_MS
})

/**
 * Generic rule, first hit wins: the `->pty:ready` marker; a prompt glyph ending the cursor row
 * after PTY_TICK_MS of quiet; READY_SETTLE_MS of quiet after the first output; no output at
 * all for READY_SILENT_START_MS; STARTUP_READY_TIMEOUT_MS after spawn.
 */
export function genericReadinessRule(t: GenericTimings = GENERIC_TIMINGS): ReadinessRule {
  return {
    name: 'generic',
    evaluate(v) {
      if (v.startupOutput().includes(READY_MARKER)) return 'marker'
      if (v.lastOutputAtMs !== null) {
        const quietMs = v.nowMs - v.lastOutputAtMs
        if (quietMs >= t.promptQuietMs && v.screenCurrent && endsWithPrompt(v.cursorRowText())) return 'prompt'
        if (quietMs >= t.settleMs) return 'settled'
      } else if (v.nowMs - v.spawnedAtMs >= t.silentStartMs) {
        return 'silent'
      }
      if (v.nowMs - v.spawnedAtMs >= t.timeoutMs) return 'timeout'
      return null
    }
  }
}

// CSI (with parameters), OSC (BEL or ST terminated), charset selectors, other 2-char escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()*+]./g
// eslint-disable-next-line no-control-regex
const ESC_PAIR = /\x1b[@-_]/g

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '').replace(ESC_PAIR, '')
}

/** ANSI-stripped startup output, bounded; kept only until the CLI is ready. */
export class StartupOutput {
  #text = ''

  append(decoded: string): void {
    if (decoded.length === 0) return
    this.#text += stripAnsi(decoded)
    if (this.#text.length > STARTUP_OUTPUT_MAX_CHARS) this.#text = this.#text.slice(-STARTUP_OUTPUT_KEEP_CHARS)
  }

  text(): string {
    return this.#text
  }

  clear(): void {
    this.#text = ''
  }
}

/** What the tracker reads from the screen model. */
export interface ReadinessScreen {
  cursorRowText(): string
  readonly parsing: boolean
}

/**
 * Feeds a rule with the worker's timings, startup output and screen, and remembers the first
 * reason it gives. Startup output is only kept until then.
 */
export class ReadinessTracker {
  readonly #rule: ReadinessRule
  readonly #screen: ReadinessScreen
  readonly #startup = new StartupOutput()
  readonly #view: ReadinessView
  #reason: ReadyReason | null = null

  constructor(rule: ReadinessRule, screen: ReadinessScreen, spawnedAtMs: number) {
    this.#rule = rule
    this.#screen = screen
    const startup = this.#startup
    this.#view = {
      nowMs: spawnedAtMs,
      spawnedAtMs,
      firstOutputAtMs: null,
      lastOutputAtMs: null,
      screenCurrent: true,
      startupOutput: () => startup.text(),
      cursorRowText: () => screen.cursorRowText()
    }
  }

  get reason(): ReadyReason | null {
    return this.#reason
  }

  /** PTY output arrived at `nowMs` (`text` decoded). */
  output(nowMs: number, text: string): void {
    if (this.#reason !== null) return
    const view = this.#view
    if (view.firstOutputAtMs === null) view.firstOutputAtMs = nowMs
    view.lastOutputAtMs = nowMs
    this.#startup.append(text)
  }

  /** Evaluates the rule; returns the reason the first time it gives one, else null. */
  evaluate(nowMs: number): ReadyReason | null {
    if (this.#reason !== null) return null
    const view = this.#view
    view.nowMs = nowMs
    view.screenCurrent = !this.#screen.parsing
    const reason = this.#rule.evaluate(view)
    if (reason !== null) {
      this.#reason = reason
      this.#startup.clear()
    }
    return reason
  }
}
