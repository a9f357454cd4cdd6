/**
 * Echo verification: a delivery is `verified` only when its relay line was SEEN on the
 * screen. The haystack is the rendered buffer from the injection marker on (soft-wrapped rows
 * joined), whitespace runs collapsed to one space; the needle is the relay line collapsed the
 * same way. A long needle (CLIs often elide the middle of a long paste) must show its head
 * and then its tail.
 */
import { VERIFY_FULL_MATCH_MAX_CHARS, VERIFY_HEAD_CHARS, VERIFY_TAIL_CHARS } from '../protocol/constants.js'

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
