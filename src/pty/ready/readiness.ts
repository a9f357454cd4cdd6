/**
 * When does the CLI count as ready for input? A `ReadinessRule` looks at a `ReadinessView`
 * (timings, startup output, the parsed screen) on every tick and names a reason, or null.
 * A rule may also say the CLI is BLOCKED (a login or auth wall: it will not become ready by
 * itself); a blocked screen is never ready, whatever the timings say.
 * The generic rule below applies to every CLI; per-CLI profiles supply their own
 * (`screenReadinessRule`).
 */

/** Output quiet time after the first output that counts as "ready" for a generic CLI. */
export const READY_SETTLE_MS = 600
/** A generic CLI that prints nothing at all for this long is taken as waiting for input. */
export const READY_SILENT_START_MS = 1_500
/** Last-resort readiness: `worker_ready` with reason `timeout` after this long. */
export const STARTUP_READY_TIMEOUT_MS = 25_000
/** How often readiness, verification and idle are re-evaluated. */
export const PTY_TICK_MS = 50
/** Readiness marker scan: stripped startup output kept (trimmed to the KEEP size when over MAX). */
export const STARTUP_OUTPUT_MAX_CHARS = 12_000
export const STARTUP_OUTPUT_KEEP_CHARS = 8_000
/** A known CLI's ready screen counts once output has been quiet this long. */
export const PROFILE_READY_QUIET_MS = 300

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
  /** Every visible row, right-trimmed (absent: the screen cannot be read row by row). */
  visibleRows?: () => string[]
  /** True when every byte received so far has been parsed into the screen. */
  screenCurrent: boolean
}

export interface ReadinessRule {
  readonly name: string
  evaluate(view: ReadinessView): ReadyReason | null
  /** Why the CLI cannot take input (login wall…), or null. Checked before `evaluate`. */
  blocked?(view: ReadinessView): string | null
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

/** The visible rows of a view ([] when the view has none). */
export function viewRows(view: ReadinessView): string[] {
  return view.visibleRows?.() ?? []
}

export interface ScreenReadiness {
  name: string
  /** The CLI's own "ready for input" screen. */
  ready(rows: readonly string[], cursorRow: string): boolean
  /** A wall the CLI cannot get past by itself, with the reason; null when there is none. */
  blocked?(rows: readonly string[]): string | null
  /**
   * A known dialog on screen (trust, permission, API-key question…), with its text; null when
   * there is none. Never ready while one is up; at the startup timeout it is reported as
   * blocked with that text instead of a `timeout` ready.
   */
  dialog?(rows: readonly string[]): string | null
  /**
   * Output must have been quiet this long before the screen is trusted (the prompt's settle
   * time); a function when it depends on what the screen shows.
   */
  quietMs: number | ((rows: readonly string[]) => number)
  /** Last resort, as for the generic rule. */
  timeoutMs?: number
}

/** Every visible row blank: the CLI has drawn nothing (yet). */
export function blankScreen(rows: readonly string[]): boolean {
  return rows.every((r) => r.trim().length === 0)
}

const DIALOG_TEXT_MAX_CHARS = 400
const RULE_ROW = /^[\u2500\u2501\u2550\u254C\u2504\-\s]*$/ // ─ ━ ═ ╌ ┄

/** A dialog's rows as one line for a blocked reason: non-blank rows (rules dropped), whitespace collapsed, bounded. */
export function dialogText(rows: readonly string[]): string {
  const text = rows
    .map((r) => r.trim())
    .filter((r) => r.length > 0 && !RULE_ROW.test(r))
    .join(' / ')
    .replace(/\s+/g, ' ')
  return text.length > DIALOG_TEXT_MAX_CHARS ? `${text.slice(0, DIALOG_TEXT_MAX_CHARS - 1)}…` : text
}

/**
 * Why a screen must not be called ready when the startup timeout passes: a blank screen, a known
 * dialog still up, or no prompt drawn (a splash or a half-drawn screen of a CLI starting slowly
 * under load: keys typed into it are lost). null: the prompt is there but output never went quiet
 * (a spinner), and the timeout may report `ready` (reason `timeout`).
 */
export function timeoutBlocker(s: Pick<ScreenReadiness, 'dialog' | 'ready'>, rows: readonly string[], cursorRow: string): string | null {
  if (blankScreen(rows)) return 'not ready: the CLI drew nothing before the startup timeout (blank screen)'
  const dialog = s.dialog?.(rows) ?? null
  if (dialog !== null) return `not ready: a dialog is still on screen at the startup timeout: ${dialog}`
  if (!s.ready(rows, cursorRow)) return `not ready: no prompt on screen at the startup timeout: ${dialogText(rows)}`
  return null
}

/** With the prompt on screen, output that is still not quiet after this many startup timeouts counts as ready (`timeout`). */
export const PROMPT_NEVER_QUIET_TIMEOUTS = 2

/**
 * A per-CLI rule: `->pty:ready` at once; the CLI's own ready screen (`prompt`) once output has
 * been quiet for `quietMs` and fully parsed; else the startup timeout, and only with the prompt
 * on screen and output still not quiet a second timeout later (a prompt drawn late, past the
 * timeout — opencode 1.18 under load after 25 s of blank screen — still gets its quiet time and
 * counts as `prompt`). No "settled"/"silent" fallback: a known CLI that shows a dialog or a splash
 * is not ready because it went quiet, nor because time passed (it is reported blocked meanwhile,
 * and becomes ready when its prompt shows up).
 */
export function screenReadinessRule(s: ScreenReadiness): ReadinessRule {
  const timeoutMs = s.timeoutMs ?? STARTUP_READY_TIMEOUT_MS
  const quietFor = (rows: readonly string[]): number => (typeof s.quietMs === 'number' ? s.quietMs : s.quietMs(rows))
  const quiet = (v: ReadinessView, rows: readonly string[]): boolean =>
    v.screenCurrent && v.lastOutputAtMs !== null && v.nowMs - v.lastOutputAtMs >= quietFor(rows)
  const timedOut = (v: ReadinessView): boolean => v.nowMs - v.spawnedAtMs >= timeoutMs
  const neverQuiet = (v: ReadinessView): boolean => v.nowMs - v.spawnedAtMs >= timeoutMs * PROMPT_NEVER_QUIET_TIMEOUTS
  return {
    name: s.name,
    evaluate(v) {
      if (v.startupOutput().includes(READY_MARKER)) return 'marker'
      const rows = viewRows(v)
      if (quiet(v, rows) && s.dialog?.(rows) == null && s.ready(rows, v.cursorRowText())) return 'prompt'
      if (neverQuiet(v) && v.screenCurrent && timeoutBlocker(s, rows, v.cursorRowText()) === null) return 'timeout'
      return null
    },
    blocked(v: ReadinessView) {
      if (!v.screenCurrent) return null
      const rows = viewRows(v)
      const wall = s.blocked?.(rows) ?? null
      if (wall !== null) return wall
      return timedOut(v) ? timeoutBlocker(s, rows, v.cursorRowText()) : null
    }
  }
}

/** What the tracker reads from the screen model. */
export interface ReadinessScreen {
  cursorRowText(): string
  visibleRows?(): string[]
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
  #blocked: string | null = null
  #blockedNew = false

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
      cursorRowText: () => screen.cursorRowText(),
      ...(screen.visibleRows ? { visibleRows: () => screen.visibleRows!() } : {})
    }
  }

  /** Why the CLI is blocked right now (as of the last `evaluate`), or null. */
  get blocked(): string | null {
    return this.#blocked
  }

  /** The blocked reason if it is new since the last call (entered, or changed), else null. */
  takeBlocked(): string | null {
    if (!this.#blockedNew) return null
    this.#blockedNew = false
    return this.#blocked
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
    const blocked = this.#rule.blocked?.(view) ?? null
    if (blocked !== null) {
      if (blocked !== this.#blocked) this.#blockedNew = true
      this.#blocked = blocked
      return null
    }
    if (view.screenCurrent) this.#blocked = null
    if (this.#blocked !== null) return null
    const reason = this.#rule.evaluate(view)
    if (reason !== null) {
      this.#reason = reason
      this.#startup.clear()
    }
    return reason
  }
}
