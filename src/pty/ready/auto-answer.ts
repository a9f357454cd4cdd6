/**
 * Auto-answers: a CLI's profile names the dialogs the child answers on its own (docs/clis.md),
 * each with the keys to type and its limits. Unlike the original, a rule runs only for
 * the CLI it belongs to, matches the RENDERED screen (what a person would see, not a byte
 * window), checks again that the dialog is still there before typing, and every answer is
 * reported (`auto_answered` frame → `agent_auto_answered` event).
 *
 * The engine is driven by `tick(nowMs)`: no timers of its own, so tests replay screens and move
 * the clock by hand. Keys go out through `write`, one exclusive job per answer (the PTY writer),
 * so an answer never lands in the middle of an injection.
 */

/** Auto-answer: the dialog must have been on screen this long before keys are typed. */
export const AUTO_ANSWER_DELAY_MS = 100
/** Auto-answer: pause between an arrow key and the Enter that confirms it. */
export const AUTO_ANSWER_KEY_GAP_MS = 100
/** Repeating dialogs (Gemini Action Required, opencode/droid EXECUTE): minimum time between answers. */
export const DIALOG_ANSWER_COOLDOWN_MS = 2_000

/** One key step: text to type, or a pause between keys. */
export type KeyStep = string | { pauseMs: number }

export interface AutoAnswerLimits {
  /** Fire at most once for the whole life of the CLI (until re-armed by another rule). */
  once?: boolean
  /** Minimum time between two sends of this rule. */
  cooldownMs?: number
  /** Fire at most this many times. */
  maxSends?: number
}

/** What a rule reads: the visible screen rows (right-trimmed). */
export interface AnswerScreen {
  rows: readonly string[]
  /** Rows joined with '\n'. */
  text: string
  /** `text` lowercased. */
  lower: string
}

export interface AutoAnswerRule {
  /** `<cli>.<dialog>`, e.g. `claude.folder_trust`; reported as the event's `rule`. */
  readonly id: string
  /** What the answer means, in words (reported as the event's `answer`). */
  readonly answer: string
  /** The dialog is on screen. */
  match(screen: AnswerScreen): boolean
  /**
   * Optional weaker match: when it holds continuously for `afterMs` without `match` ever
   * holding, the rule fires anyway (MCP approval whose option line is cut off).
   */
  readonly partial?: { match(screen: AnswerScreen): boolean; afterMs: number }
  /** Wait this long after the dialog appeared before typing (it must still be there). */
  readonly delayMs: number
  /** Keys to type, with pauses between them (what the rule types when it has no `keysFor`). */
  readonly keys: readonly KeyStep[]
  /**
   * Keys computed from the screen when the rule fires (e.g. arrows to the option with a given
   * label, then Enter); null: the screen does not allow an answer now (nothing typed, no send used).
   */
  keysFor?(screen: AnswerScreen): readonly KeyStep[] | null
  readonly limits: AutoAnswerLimits
  /** Rule ids whose `once` is lifted after this one fires (Gemini banner → trust menu). */
  readonly rearms?: readonly string[]
}

/** The keys of a rule as one string (pauses dropped), as reported in `agent_auto_answered.keys`. */
export function keysText(keys: readonly KeyStep[]): string {
  return keys.filter((k): k is string => typeof k === 'string').join('')
}

export function screenOf(rows: readonly string[]): AnswerScreen {
  const text = rows.join('\n')
  return { rows, text, lower: text.toLowerCase() }
}

export interface AutoAnswered {
  rule: string
  answer: string
  keys: string
}

export interface AutoAnswererOptions {
  /** The current visible rows of the screen. */
  rows(): readonly string[]
  /** Types `keys` as one exclusive job; resolves when done. */
  write(keys: readonly KeyStep[]): Promise<void>
  /** Called once the keys of an answer were typed. */
  onAnswered(answer: AutoAnswered): void
}

interface RuleState {
  sends: number
  lastSentAtMs: number | null
  exhausted: boolean
  /** When the dialog was first seen in its current appearance (match or partial), else null. */
  seenAtMs: number | null
  partialSinceMs: number | null
  typing: boolean
}

export class AutoAnswerer {
  readonly #rules: readonly AutoAnswerRule[]
  readonly #o: AutoAnswererOptions
  readonly #state = new Map<string, RuleState>()
  #screen: AnswerScreen | null = null
  #closed = false

  constructor(rules: readonly AutoAnswerRule[], opts: AutoAnswererOptions) {
    this.#rules = rules
    this.#o = opts
    for (const r of rules) {
      this.#state.set(r.id, { sends: 0, lastSentAtMs: null, exhausted: false, seenAtMs: null, partialSinceMs: null, typing: false })
    }
  }

  get enabled(): boolean {
    return this.#rules.length > 0
  }

  /** Times rule `id` has fired. */
  sends(id: string): number {
    return this.#state.get(id)?.sends ?? 0
  }

  /** Stops answering (the CLI is gone). */
  close(): void {
    this.#closed = true
  }

  /**
   * Looks at the screen (re-read only when `screenChanged`, or on the first call) and fires
   * the rules that are due. Returns the ids of the rules that started typing.
   */
  tick(nowMs: number, screenChanged = true): string[] {
    if (this.#closed || this.#rules.length === 0) return []
    if (screenChanged || this.#screen === null) this.#screen = screenOf(this.#o.rows())
    const screen = this.#screen
    const fired: string[] = []
    for (const rule of this.#rules) {
      const st = this.#state.get(rule.id)!
      if (st.exhausted || st.typing) continue
      const full = rule.match(screen)
      const partial = !full && rule.partial !== undefined && rule.partial.match(screen)
      if (!full && !partial) {
        st.seenAtMs = null
        st.partialSinceMs = null
        continue
      }
      if (full) st.seenAtMs ??= nowMs
      if (partial) st.partialSinceMs ??= nowMs
      const due = full
        ? nowMs - st.seenAtMs! >= rule.delayMs
        : nowMs - st.partialSinceMs! >= rule.partial!.afterMs
      if (!due) continue
      if (st.lastSentAtMs !== null && rule.limits.cooldownMs !== undefined && nowMs - st.lastSentAtMs < rule.limits.cooldownMs) continue
      const keys = rule.keysFor ? rule.keysFor(screen) : rule.keys
      if (keys === null) continue
      this.#fire(rule, keys, st, nowMs)
      fired.push(rule.id)
    }
    return fired
  }

  #fire(rule: AutoAnswerRule, keys: readonly KeyStep[], st: RuleState, nowMs: number): void {
    st.sends++
    st.lastSentAtMs = nowMs
    st.seenAtMs = null
    st.partialSinceMs = null
    if (rule.limits.once || (rule.limits.maxSends !== undefined && st.sends >= rule.limits.maxSends)) st.exhausted = true
    for (const id of rule.rearms ?? []) {
      const other = this.#state.get(id)
      if (other && other.exhausted) {
        const otherRule = this.#rules.find((r) => r.id === id)!
        if (otherRule.limits.maxSends === undefined || other.sends < otherRule.limits.maxSends) other.exhausted = false
      }
    }
    st.typing = true
    this.#o.write(keys).then(
      () => {
        st.typing = false
        if (!this.#closed) this.#o.onAnswered({ rule: rule.id, answer: rule.answer, keys: keysText(keys) })
      },
      () => {
        st.typing = false
      }
    )
  }
}
