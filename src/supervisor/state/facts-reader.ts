/**
 * Reads an agent's facts file (written by its `broker pty` workers, see src/pty/facts.ts):
 * the last fact per delivery id. The supervisor reads it when an agent is gone for good, to
 * tell a delivery that was typed (failed or verified) from one that never was (dead letter).
 */
import { readFileSync } from 'node:fs'
import { readFileNoFollow } from '../../protocol/safe-open.js'

export type Fact = 'injecting' | 'verified' | 'failed'

export function readFacts(path: string): Map<string, Fact> {
  const facts = new Map<string, Fact>()
  let text: string
  try {
    text = readFileNoFollow(path)
  } catch {
    return facts
  }
  for (const line of text.split('\n')) {
    if (!line) continue
    try {
      const rec = JSON.parse(line) as { id?: unknown; fact?: unknown }
      if (typeof rec.id === 'string' && (rec.fact === 'injecting' || rec.fact === 'verified' || rec.fact === 'failed')) facts.set(rec.id, rec.fact)
    } catch {
      // torn line
    }
  }
  return facts
}
