/**
 * Pool task (src/offload/pool.ts): scan history segments for a search, in the order given (newest
 * first), each newest line first, until `limit` matches. Returns them newest first, how many
 * segments it reached and how many lines it parsed. One task per run of segments: the supervisor's
 * loop hears from the pool once per run, not once per segment.
 *
 * Fast path (ASCII terms, the usual case): the file's bytes are read as a Latin-1 string (a copy,
 * no UTF-8 decoding), lower-cased once (Latin-1 lower-casing never turns a byte into ASCII nor
 * changes the length, so ASCII matches and offsets are exact), and the longest term is looked for
 * backwards with lastIndexOf. Only lines holding every term are decoded, parsed and checked
 * exactly. Not taken when a term is not ASCII or holds a character JSON escapes, or when the file
 * holds a character whose Unicode lower case is ASCII (K KELVIN SIGN, İ): then every line is
 * decoded and parsed.
 *
 * A sealed segment (not the one being appended to) is read through its index
 * (src/history/segment-index.ts): only the blocks that hold every trigram of the terms are read and
 * scanned as above, newest block first. Without an index the segment is read whole, as before, and
 * its index is built and written next to it for the next search.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { matches, rawLinePrefilterSafe, type HistoryRecord, type SearchQuery, type SearchScope } from '../src/history/query.js'
import { blockRange, buildSegmentIndex, candidateBlocks, readSegmentIndex, writeSegmentIndex, type SegmentIndex } from '../src/history/segment-index.js'

/** Parsed indexes this thread keeps (by segment path), so back-to-back searches do not re-read them. */
const INDEX_CACHE_MAX = 64
const indexCache = new Map<string, SegmentIndex>()

export interface SegmentRef {
  path: string
  /** The segment is no longer appended to: it may be read through its index. */
  sealed?: boolean
}

export interface SearchSegmentInput {
  /** Newest first. */
  segments: SegmentRef[]
  query: SearchQuery
  scope: SearchScope | null
  limit: number
}

export interface SearchSegmentOutput {
  hits: HistoryRecord[]
  /** Segments reached before `limit` was. */
  scanned: number
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

/** Terms the index may narrow by: those whose characters stand as they are in the raw line. */
function narrows(term: string): boolean {
  return rawLinePrefilterSafe([term])
}

/** Scans `buf` (whole lines) newest line first, adding at most `limit` hits in total to `out.hits`. */
function scan(buf: Buffer, query: SearchQuery, scope: SearchScope | null, limit: number, out: SearchSegmentOutput): void {
  const { hits } = out
  const check = (line: string) => {
    out.parsed++
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
    return
  }
  const text = buf.toString('utf8')
  let end = text.length
  while (end > 0 && hits.length < limit) {
    const start = text.lastIndexOf('\n', end - 1) + 1
    if (end > start) check(text.slice(start, end))
    end = start - 1
  }
}

function readRange(fd: number, from: number, to: number): Buffer {
  const buf = Buffer.alloc(to - from)
  let off = 0
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, from + off)
    if (n <= 0) break
    off += n
  }
  return off === buf.length ? buf : buf.subarray(0, off)
}

function cachedIndex(path: string, bytes: number): SegmentIndex | null {
  const hit = indexCache.get(path)
  if (hit && hit.bytes === bytes) return hit
  const index = readSegmentIndex(path, bytes)
  if (index) remember(path, index)
  return index
}

function remember(path: string, index: SegmentIndex): void {
  indexCache.delete(path)
  indexCache.set(path, index)
  if (indexCache.size > INDEX_CACHE_MAX) indexCache.delete(indexCache.keys().next().value!)
}

export default function searchSegments(input: SearchSegmentInput): SearchSegmentOutput {
  const out: SearchSegmentOutput = { hits: [], scanned: 0, parsed: 0, bytes: 0 }
  for (const segment of input.segments) {
    if (out.hits.length >= input.limit) break
    out.scanned++
    searchSegment(segment, input.query, input.scope, input.limit, out)
  }
  return out
}

/** Adds the matches of one segment to `out`, until it holds `limit`. */
function searchSegment(segment: SegmentRef, query: SearchQuery, scope: SearchScope | null, limit: number, out: SearchSegmentOutput): void {
  let fd: number
  try {
    fd = openSync(segment.path, 'r')
  } catch {
    return // rotated away meanwhile
  }
  try {
    const size = fstatSync(fd).size
    let index = segment.sealed ? cachedIndex(segment.path, size) : null
    // Without an index the segment is read whole; a sealed one gets its index built from that read.
    let whole: Buffer | null = null
    if (index === null) {
      whole = readRange(fd, 0, size)
      out.bytes += whole.length
      if (!segment.sealed) {
        scan(whole, query, scope, limit, out)
        return
      }
      index = buildSegmentIndex(whole)
      writeSegmentIndex(segment.path, index)
      remember(segment.path, index)
    }
    for (const b of candidateBlocks(index, query.terms, narrows).reverse()) {
      if (out.hits.length >= limit) break
      const [from, to] = blockRange(index, b)
      let buf: Buffer
      if (whole !== null) buf = whole.subarray(from, to)
      else {
        buf = readRange(fd, from, to)
        out.bytes += buf.length
      }
      scan(buf, query, scope, limit, out)
    }
  } finally {
    closeSync(fd)
  }
}
