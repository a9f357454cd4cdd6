/**
 * Submission that is confirmed, not assumed (docs/clis.md "Typing and submitting"): after the
 * text is typed, Enter goes out once the CLI has TAKEN it (its paste placeholder, or the end of
 * the text, is on screen) plus a per-CLI pause; afterwards the input row is checked and Enter is
 * pressed again (bounded) while the text or its placeholder still sits there.
 *
 * Paste placeholders are also evidence for verification: a placeholder whose stated size matches
 * what was typed, together with the end of the message seen on screen.
 */
import { compactText } from './verify.js'

/** Per-CLI timings of typing and submitting. */
export interface SubmitProfile {
  /** Pause between the CLI taking the text and Enter (gemini turns an early Enter into a newline). */
  readonly pasteSettleMs: number
  /** Longest wait for the CLI to show the typed text or its placeholder before Enter goes anyway. */
  readonly takeTimeoutMs: number
  /** After Enter, look this long later whether the input row still holds the text. */
  readonly submitCheckMs: number
  /** Extra Enters at most, one per check, while the text still sits in the input row. */
  readonly maxExtraEnters: number
  /** After a verified delivery, wait this long before the next (the CLI gets to show it is busy). */
  readonly turnStartMs: number
  /**
   * A delivery already queued when the one before it was verified is typed after `turnStartMs`
   * (and no other pause) without waiting again for the output to go quiet (the output since is the CLI taking the
   * previous line). Only for programs that read typed-ahead lines in order (a terminal line).
   */
  readonly typeAhead: boolean
}

/** Pause between typing a message and pressing Enter when nothing on screen says the CLI took it. */
export const INJECT_ENTER_DELAY_MS = 50

/** CLIs without a profile of their own for submitting (aider, cursor, droid): Enter after a short pause, no confirmation. */
export const GENERIC_SUBMIT: SubmitProfile = Object.freeze({
  pasteSettleMs: INJECT_ENTER_DELAY_MS,
  takeTimeoutMs: 0,
  submitCheckMs: 0,
  maxExtraEnters: 0,
  turnStartMs: 10,
  typeAhead: false
})

/**
 * Plain terminal programs (the generic profile: shells, `cat`, the fixtures), which type one line
 * without a paste: Enter as soon as the typed text is echoed on screen — it is then in the
 * program's hands, so Enter reaches it as a key of its own — or INJECT_ENTER_DELAY_MS after the
 * text when no echo comes. Queued lines are typed ahead.
 */
export const LINE_SUBMIT: SubmitProfile = Object.freeze({
  pasteSettleMs: 0,
  takeTimeoutMs: INJECT_ENTER_DELAY_MS,
  submitCheckMs: 0,
  maxExtraEnters: 0,
  turnStartMs: 0,
  typeAhead: true
})

/** The agent CLIs with a TUI composer (claude, codex, gemini, opencode), as measured (docs/clis.md). */
export const TUI_SUBMIT: SubmitProfile = Object.freeze({
  pasteSettleMs: 50,
  takeTimeoutMs: 2_000,
  submitCheckMs: 800,
  maxExtraEnters: 2,
  turnStartMs: 600,
  typeAhead: false
})

export type PlaceholderKind = 'extra_lines' | 'lines' | 'chars'

export interface Placeholder {
  kind: PlaceholderKind
  n: number
  text: string
}

const PLACEHOLDERS: readonly [RegExp, PlaceholderKind][] = [
  // claude: `[Pasted text #1 +10 lines]` (lines after the first)
  [/\[Pasted text #\d+ \+(\d+) lines?\]/gi, 'extra_lines'],
  // codex: `[Pasted Content 3836 chars]`
  [/\[Pasted Content (\d+) chars?\]/gi, 'chars'],
  // gemini 0.61: `[Pasted Text: 11 lines]` over 5 lines, else `[Pasted Text: 3003 chars]` over 500
  // characters; ` #2` when an equal placeholder is already in the input box
  [/\[Pasted Text: (\d+) lines?(?: #\d+)?\]/gi, 'lines'],
  [/\[Pasted Text: (\d+) chars?(?: #\d+)?\]/gi, 'chars'],
  // opencode and others: `[Pasted ~11 lines]`, `[Pasted 11 lines]`, `[pasted 3000 characters]`
  [/\[Pasted ~?(\d+) lines?\]/gi, 'lines'],
  [/\[Pasted ~?(\d+) char(?:acter)?s?\]/gi, 'chars']
]

/** Every paste placeholder in `text`. */
export function placeholdersIn(text: string): Placeholder[] {
  const out: Placeholder[] = []
  for (const [re, kind] of PLACEHOLDERS) {
    for (const m of text.matchAll(re)) out.push({ kind, n: Number(m[1]), text: m[0] })
  }
  return out
}

/** Does the placeholder state the size of `typed`? (lines: with or without the first; chars: UTF-16 units or code points) */
export function placeholderFits(p: Placeholder, typed: string): boolean {
  const lines = typed.split('\n').length
  switch (p.kind) {
    case 'extra_lines':
      return p.n === lines - 1
    case 'lines':
      return p.n === lines
    case 'chars':
      return p.n === typed.length || p.n === [...typed].length
  }
}

/** A placeholder for `typed` is in `text`. */
export function showsPlaceholderFor(text: string, typed: string): boolean {
  return placeholdersIn(text).some((p) => placeholderFits(p, typed))
}

/** Characters of the end of the typed text that must be seen to count it as taken / still pending. */
export const TYPED_TAIL_CHARS = 24

/** The end of `typed`, compacted (no whitespace, no box drawing). */
export function typedTail(typed: string): string {
  const c = compactText(typed)
  return c.slice(Math.max(0, c.length - TYPED_TAIL_CHARS))
}

/** The CLI has taken the typed text: its placeholder or its end is on the screen. */
export function textTaken(screenText: string, typed: string): boolean {
  if (showsPlaceholderFor(screenText, typed)) return true
  const tail = typedTail(typed)
  return tail.length > 0 && compactText(screenText).includes(tail)
}

/** The input row (the cursor's row) still holds the typed text or its placeholder: not submitted yet. */
export function stillInInput(cursorRow: string, typed: string): boolean {
  if (showsPlaceholderFor(cursorRow, typed)) return true
  const tail = typedTail(typed)
  const row = compactText(cursorRow)
  // The cursor row holds the last part of the text: its tail ends the row (a wrapped input's last row).
  return tail.length > 0 && row.length > 0 && (row.endsWith(tail) || (tail.endsWith(row) && row.length >= Math.min(8, tail.length)))
}

/** What the input check reads of the screen (the worker's `Screen` satisfies it). */
export interface InputView {
  visibleRows(): string[]
  /** 1-indexed [row, col] of the cursor on the visible screen. */
  cursor(): [number, number]
  cursorRowText(): string
}

/** Rows above the cursor row that may still belong to the input box. */
export const INPUT_BOX_ROWS_ABOVE = 3
/** A horizontal rule: the top edge of an input box (claude, gemini); above it is history. */
const RULE_ROW = /^\s*[\u2500\u2501\u2550]{10,}\s*$/ // ─ ━ ═

/** The rows just above the cursor row, nearest first, up to INPUT_BOX_ROWS_ABOVE and never past a horizontal rule. */
export function inputRowsAbove(rows: readonly string[], cursorIndex: number): string[] {
  const out: string[] = []
  for (let i = cursorIndex - 1; i >= 0 && out.length < INPUT_BOX_ROWS_ABOVE; i--) {
    if (RULE_ROW.test(rows[i] ?? '')) break
    out.push(rows[i] ?? '')
  }
  return out
}

/**
 * The typed text is still in the CLI's input box: `stillInInput` on the cursor row, or a placeholder
 * stating its size on a row of the box above the cursor — gemini 0.61 under load takes an Enter
 * that comes too soon after a paste as a newline, leaving the placeholder a row above the cursor.
 */
export function stillInInputBox(view: InputView, typed: string): boolean {
  if (stillInInput(view.cursorRowText(), typed)) return true
  return inputRowsAbove(view.visibleRows(), view.cursor()[0] - 1).some((row) => showsPlaceholderFor(row, typed))
}
