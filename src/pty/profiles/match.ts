/** Small text tests the profiles share: all of some words on the screen, a marker on some row. */

/** True when the (lowercased) text contains every one of `words` (given in lowercase). */
export function hasAll(lower: string, ...words: string[]): boolean {
  for (const w of words) if (!lower.includes(w)) return false
  return true
}

/** True when the text contains at least one of `needles`. */
export function hasAny(text: string, ...needles: string[]): boolean {
  for (const n of needles) if (text.includes(n)) return true
  return false
}

/** The screen as one string with ALL whitespace removed: survives words wrapped across rows. */
export function compact(rows: readonly string[]): string {
  return rows.join('').replace(/\s+/g, '')
}

/** Rows joined with '\n'. */
export function joined(rows: readonly string[]): string {
  return rows.join('\n')
}

/** The rows joined and lowercased, for readiness/busy checks written against the same helpers as the auto-answers. */
export function lowerOf(rows: readonly string[]): string {
  return joined(rows).toLowerCase()
}
