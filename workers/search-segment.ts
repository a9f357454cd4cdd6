/**
 * Pool task (src/offload/pool.ts): scan one history segment for a search, newest line first.
 * Returns at most `limit` matching records, newest first, and how many lines it parsed.
 *
 * Fast path (ASCII terms, the usual case): the file's bytes are read as a Latin-1 string (a copy,
 * no UTF-8 decoding), lower-cased once (Latin-1 lower-casing never turns a byte into ASCII nor
 * changes the length, so ASCII matches and offsets are exact), and the longest term is looked for
 * backwards with lastIndexOf. Only lines holding every term are decoded, parsed and checked
 * exactly. Not taken when a term is not ASCII or holds a character JSON escapes, or when the file
 * holds a character whose Unicode lower case is ASCII (K KELVIN SIGN, İ): then every line is
 * decoded and parsed.
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
  /** Lines parsed (the fast path leaves lines without the terms unparsed). */
  parsed: number
  bytes: number
}

/** UTF-8 of the characters outside ASCII whose lower case is ASCII: U+212A (→ k), U+0130 (→ i̇). */
const LOWERS_TO_ASCII = [Buffer.from('\u212a'), Buffer.from('\u0130')]

function parse(line: string): HistoryRecord | null {
  try {
    const rec = JSON.parse(line) as HistoryRecord
    return typeof rec === 'object' && rec !== null && typeof rec.body === 'string' && Array.isArray(rec.recipients) ? rec : null
  } catch {
    return null // a torn last line
  }
}

function fastPathFits(buf: Buffer, terms: readonly string[]): boolean {
  if (terms.length === 0 || !rawLinePrefilterSafe(terms)) return false
  // eslint-disable-next-line no-control-regex
  if (!terms.every((t) => /^[\x20-\x7e]+$/.test(t))) return false
  return LOWERS_TO_ASCII.every((b) => buf.indexOf(b) < 0)
}

export default function searchSegment(input: SearchSegmentInput): SearchSegmentOutput {
  let buf: Buffer
  try {
    buf = readFileSync(input.path)
  } catch {
    return { hits: [], parsed: 0, bytes: 0 } // rotated away meanwhile
  }
  const { query, scope, limit } = input
  const hits: HistoryRecord[] = []
  let parsed = 0
  const check = (line: string) => {
    parsed++
    const rec = parse(line)
    if (rec && matches(rec, query, scope)) hits.push(rec)
  }
  if (fastPathFits(buf, query.terms)) {
    const lower = buf.toString('latin1').toLowerCase()
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
      if (terms.length > 1 && !terms.every((t) => lower.slice(start, end).includes(t))) continue
      check(buf.toString('utf8', start, end))
    }
    return { hits, parsed, bytes: buf.length }
  }
  const text = buf.toString('utf8')
  let end = text.length
  while (end > 0 && hits.length < limit) {
    const start = text.lastIndexOf('\n', end - 1) + 1
    if (end > start) check(text.slice(start, end))
    end = start - 1
  }
  return { hits, parsed, bytes: buf.length }
}
