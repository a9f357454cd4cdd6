/**
 * The facts file of an agent: what its `broker pty` workers did with each delivery, one JSON line
 * per fact, `{"id":"del_…","fact":"injecting"|"verified"|"failed"}`. Written by the worker
 * (src/pty/facts.ts: `injecting` is on disk before the first byte of a delivery is typed), read by
 * the worker's successor and by the supervisor (src/supervisor/state/facts-reader.ts) to tell a
 * delivery that may be on screen from one that never was. This file is the one format both use.
 */

export type Fact = 'injecting' | 'verified' | 'failed'

export const FACT_KINDS: readonly Fact[] = ['injecting', 'verified', 'failed']

export function isFact(value: unknown): value is Fact {
  return (FACT_KINDS as readonly unknown[]).includes(value)
}

/** One line of the file, newline included. */
export function factLine(id: string, fact: Fact): string {
  return `${JSON.stringify({ id, fact })}\n`
}

/** One line read back: null for a blank, torn or foreign line (skipped, never fatal). */
export function parseFactLine(line: string): { id: string; fact: Fact } | null {
  if (!line) return null
  let rec: { id?: unknown; fact?: unknown }
  try {
    rec = JSON.parse(line) as { id?: unknown; fact?: unknown }
  } catch {
    return null // a torn last line from a crash
  }
  if (rec === null || typeof rec !== 'object' || typeof rec.id !== 'string' || !isFact(rec.fact)) return null
  return { id: rec.id, fact: rec.fact }
}

/** The last fact per delivery id, in order of recency (oldest first). */
export function parseFacts(text: string): Map<string, Fact> {
  const facts = new Map<string, Fact>()
  for (const line of text.split('\n')) {
    const rec = parseFactLine(line)
    if (rec === null) continue
    facts.delete(rec.id) // keep insertion order = recency
    facts.set(rec.id, rec.fact)
  }
  return facts
}
