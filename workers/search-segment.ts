/**
 * Pool task (src/offload/pool.ts): scan one history segment for a search, newest line first.
 * Returns at most `limit` matching records, newest first, and how many lines it looked at.
 *
 * Fast path: the file is lower-cased once and the longest term is searched for backwards with
 * lastIndexOf; only lines holding every term are parsed and checked exactly. Taken when the
 * lower-cased text keeps every offset (same length) and no term holds a character JSON escapes
 * (query.ts `rawLinePrefilterSafe`); otherwise every line is parsed.
 */
import { readFileSync } from 'node:fs'
import { matches, rawLinePrefilterSafe, type HistoryRecord, type SearchQuery, type SearchScope } from '../src/history/query.js'

export interface SearchSegmentInput {
  path: string
  query: SearchQuery
  scope: SearchScope | null
  limit: number
}

export interface SearchSegmentOutput {
  hits: HistoryRecord[]
  /** Lines parsed (the fast path skips lines without the terms unparsed). */
  parsed: number
  bytes: number
}

function parse(line: string): HistoryRecord | null {
  try {
    const rec = JSON.parse(line) as HistoryRecord
    return typeof rec === 'object' && rec !== null && typeof rec.body === 'string' && Array.isArray(rec.recipients) ? rec : null
  } catch {
    return null // a torn last line
  }
}

export default function searchSegment(input: SearchSegmentInput): SearchSegmentOutput {
  let text: string
  try {
    text = readFileSync(input.path, 'utf8')
  } catch {
    return { hits: [], parsed: 0, bytes: 0 } // rotated away meanwhile
  }
  const { query, scope, limit } = input
  const hits: HistoryRecord[] = []
  let parsed = 0
  const bytes = Buffer.byteLength(text)
  const lower = query.terms.length > 0 && rawLinePrefilterSafe(query.terms) ? text.toLowerCase() : null
  if (lower !== null && lower.length === text.length) {
    const terms = [...query.terms].sort((a, b) => b.length - a.length)
    const first = terms[0]!
    let pos = lower.length
    while (pos >= 0 && hits.length < limit) {
      const at = lower.lastIndexOf(first, pos)
      if (at < 0) break
      const start = lower.lastIndexOf('\n', at) + 1
      let end = lower.indexOf('\n', at)
      if (end < 0) end = lower.length
      pos = start - 2 // the line before this one
      const line = lower.slice(start, end)
      if (!terms.every((t) => line.includes(t))) continue
      parsed++
      const rec = parse(text.slice(start, end))
      if (rec && matches(rec, query, scope)) hits.push(rec)
    }
    return { hits, parsed, bytes }
  }
  let end = text.length
  while (end > 0 && hits.length < limit) {
    const start = text.lastIndexOf('\n', end - 1) + 1
    if (end > start) {
      parsed++
      const rec = parse(text.slice(start, end))
      if (rec && matches(rec, query, scope)) hits.push(rec)
    }
    end = start - 1
  }
  return { hits, parsed, bytes }
}
