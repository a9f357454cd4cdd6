/**
 * Reads an agent's facts file (written by its `broker pty` workers; format: src/catalog/facts.ts):
 * the last fact per delivery id. The supervisor reads it when an agent is gone for good, to
 * tell a delivery that was typed (failed or verified) from one that never was (dead letter).
 */
import { readFileNoFollow } from '../../protocol/safe-open.js'
import { parseFacts, type Fact } from '../../catalog/facts.js'

export function readFacts(path: string): Map<string, Fact> {
  let text: string
  try {
    text = readFileNoFollow(path)
  } catch {
    return new Map()
  }
  return parseFacts(text)
}
