
/** Messages longer than this are verified by their head and tail rather than in full. */
export const VERIFY_FULL_MATCH_MAX_CHARS = 400
export const VERIFY_HEAD_CHARS = 160
export const VERIFY_TAIL_CHARS = 80
/**
 * Echo verification: a delivery is `verified` only when its relay line was SEEN on the
 * screen. The haystack is the rendered buffer from the injection marker on (soft-wrapped rows
 * joined), whitespace runs collapsed to one space; the needle is the relay line collapsed the
 * same way. A long needle (CLIs often elide the middle of a long paste) must show its head
 * and then its tail.
 */

const WHITESPACE_RUN = /\s+/g

export function collapseWhitespace(text: string): string {
  return text.replace(WHITESPACE_RUN, ' ')
}

/** The needle for a relay line: whitespace collapsed, ends trimmed. */
export function echoNeedle(relayLine: string): string {
  return collapseWhitespace(relayLine).trim()
}

export interface MatchLimits {
  fullMatchMaxChars: number
  headChars: number
  tailChars: number
}

export const DEFAULT_MATCH_LIMITS: MatchLimits = Object.freeze({
  fullMatchMaxChars: VERIFY_FULL_MATCH_MAX_CHARS,
  headChars: VERIFY_HEAD_CHARS,
  tailChars: VERIFY_TAIL_CHARS
})

/**
 * Does the (already collapsed) needle appear in `screenText`? `screenText` is collapsed here.
 * Needles longer than `fullMatchMaxChars` match when their head appears and their tail
 * appears after the head.
 */
export function screenShowsNeedle(screenText: string, needle: string, limits: MatchLimits = DEFAULT_MATCH_LIMITS): boolean {
  if (needle.length === 0) return false
  const hay = collapseWhitespace(screenText)
  if (needle.length <= limits.fullMatchMaxChars) return hay.includes(needle)
  const head = needle.slice(0, limits.headChars).trimEnd()
  const tail = needle.slice(needle.length - limits.tailChars).trimStart()
  const headAt = hay.indexOf(head)
  if (headAt === -1) return false
  return hay.indexOf(tail, headAt + head.length) !== -1
}

/** `delivery_failed` reason when the echo did not show up in time. */
export function echoTimeoutReason(windowMs: number): string {
  return `echo not seen on screen within ${Number((windowMs / 1000).toFixed(3))}s`
}

/**
 * Does the start of the needle (its first `headChars`) appear in `screenText`? A program that
 * drew the start of a long message and not yet its end is still taking it in.
 */
export function screenShowsNeedleHead(screenText: string, needle: string, limits: MatchLimits = DEFAULT_MATCH_LIMITS): boolean {
  const head = needle.slice(0, limits.headChars).trimEnd()
  return head.length > 0 && collapseWhitespace(screenText).includes(head)
}

/** `delivery_failed` reason when the start of the echo was seen and its end never was. */
export function echoIncompleteReason(deadlineMs: number): string {
  return `echo incomplete: the start of the text was seen on screen, its end not within ${Number((deadlineMs / 1000).toFixed(3))}s (the program stopped reading its terminal?)`
}

/**
 * Box drawing and block elements (U+2500–U+259F): borders and gutters CLIs draw around or beside
 * a message (opencode's `┃`, claude's rules). Removed before matching, on both sides.
 */
const BOX_DRAWING = /[\u2500-\u259F]/g
const ANY_WHITESPACE = /\s+/g

/** `text` without box drawing and without any whitespace: survives borders, gutters, indents and wraps at any point. */
export function compactText(text: string): string {
  return text.replace(BOX_DRAWING, '').replace(ANY_WHITESPACE, '')
}

/**
 * The needle on the screen as the CLI draws it: like `screenShowsNeedle`, but both sides
 * compacted (no borders, no whitespace), so a relay line wrapped inside a bordered box, or
 * hard-wrapped with an indent in the middle of a word, still matches. The same head-then-tail
 * rule applies to long needles, with the limits counted in compacted characters.
 */
export function screenShowsNeedleCompact(screenText: string, needle: string, limits: MatchLimits = DEFAULT_MATCH_LIMITS): boolean {
  const n = compactText(needle)
  if (n.length === 0) return false
  const hay = compactText(screenText)
  if (n.length <= limits.fullMatchMaxChars) return hay.includes(n)
  const head = n.slice(0, limits.headChars)
  const tail = n.slice(n.length - limits.tailChars)
  const headAt = hay.indexOf(head)
  return headAt !== -1 && hay.indexOf(tail, headAt + head.length) !== -1
}

/** The end of the needle (its last `tailChars`, compacted) is on the screen. */
export function screenShowsNeedleTail(screenText: string, needle: string, limits: MatchLimits = DEFAULT_MATCH_LIMITS): boolean {
  const n = compactText(needle)
  if (n.length === 0) return false
  return compactText(screenText).includes(n.slice(Math.max(0, n.length - limits.tailChars)))
}
