/**
 * A sealed history segment's index (`messages-NNNNNN.jsonl.idx` next to it): the segment is cut
 * into blocks of whole lines (about INDEX_BLOCK_BYTES each), and for every trigram (three UTF-16
 * code units) of the lower-cased message bodies the index records which blocks hold it.
 *
 * A search term is a case-insensitive substring of the body (query.ts): every trigram of the term
 * then occurs in the lower-cased body, so a block missing one of them cannot hold a match and is
 * not read. Terms shorter than three characters narrow nothing. The index only skips blocks; the
 * blocks that are read are matched exactly as before, so results do not change.
 *
 * Built by the search worker (workers/search-segment.ts) the first time it has to read a sealed
 * segment whole, and written next to it (temp file + rename; it is a cache: a torn, stale or
 * unreadable index is rebuilt). Pure apart from the file reads and writes: no imports of ours.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'

/** Blocks end at the first line end past this many bytes. */
export const INDEX_BLOCK_BYTES = 64 * 1024
/** Format version written in the index; another version is rebuilt. */
const INDEX_VERSION = 1

export interface SegmentIndex {
  /** Size of the segment the index was built from (a different size: stale). */
  bytes: number
  /** End offset (exclusive) of each block; block i starts where block i-1 ends. */
  ends: number[]
  /** Trigram → bitset of blocks (bit i: block i holds it). */
  grams: Map<string, Uint8Array>
}

export function indexPathOf(segmentPath: string): string {
  return `${segmentPath}.idx`
}

/** Builds the index of a segment's bytes; `body` gives a line's message body (null: not a record). */
export function buildSegmentIndex(buf: Buffer, body: (line: string) => string | null, blockBytes = INDEX_BLOCK_BYTES): SegmentIndex {
  const ends: number[] = []
  const lists = new Map<string, number[]>()
  let block = 0
  let blockStart = 0
  let start = 0
  while (start < buf.length) {
    let end = buf.indexOf(0x0a, start)
    if (end < 0) end = buf.length
    const text = body(buf.toString('utf8', start, end))
    if (text !== null) {
      const lower = text.toLowerCase()
      for (let i = 0; i + 3 <= lower.length; i++) {
        const g = lower.slice(i, i + 3)
        const list = lists.get(g)
        if (list === undefined) lists.set(g, [block])
        else if (list[list.length - 1] !== block) list.push(block)
      }
    }
    start = end + 1
    if (start - blockStart >= blockBytes || start >= buf.length) {
      ends.push(Math.min(start, buf.length))
      blockStart = start
      block++
    }
  }
  const grams = new Map<string, Uint8Array>()
  const width = Math.ceil(ends.length / 8)
  for (const [g, list] of lists) {
    const bits = new Uint8Array(width)
    for (const b of list) bits[b >> 3]! |= 1 << (b & 7)
    grams.set(g, bits)
  }
  return { bytes: buf.length, ends, grams }
}

/** The blocks (indices, ascending) that can hold a body containing every term. */
export function candidateBlocks(index: SegmentIndex, terms: readonly string[]): number[] {
  const all = index.ends.map((_, i) => i)
  let mask: Uint8Array | null = null
  for (const t of terms) {
    for (let i = 0; i + 3 <= t.length; i++) {
      const bits = index.grams.get(t.slice(i, i + 3))
      if (bits === undefined) return []
      mask = mask === null ? Uint8Array.from(bits) : mask.map((m, k) => m & bits[k]!)
    }
  }
  if (mask === null) return all
  const m = mask
  return all.filter((b) => (m[b >> 3]! & (1 << (b & 7))) !== 0)
}

/** The byte range of block `i`. */
export function blockRange(index: SegmentIndex, i: number): [number, number] {
  return [i === 0 ? 0 : index.ends[i - 1]!, index.ends[i]!]
}

/** Writes the index next to its segment (temp file + rename; no fsync: a lost index is rebuilt). */
export function writeSegmentIndex(segmentPath: string, index: SegmentIndex): void {
  const grams: Record<string, string> = {}
  for (const [g, bits] of index.grams) grams[g] = Buffer.from(bits).toString('base64')
  const path = indexPathOf(segmentPath)
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
  try {
    writeFileSync(tmp, JSON.stringify({ v: INDEX_VERSION, bytes: index.bytes, ends: index.ends, grams }), { mode: 0o600 })
    renameSync(tmp, path)
  } catch {
    try {
      unlinkSync(tmp)
    } catch {
      // never written
    }
  }
}

/** The segment's index if it exists and was built from a segment of `bytes` bytes; null otherwise. */
export function readSegmentIndex(segmentPath: string, bytes: number): SegmentIndex | null {
  try {
    const raw = JSON.parse(readFileSync(indexPathOf(segmentPath), 'utf8')) as { v?: unknown; bytes?: unknown; ends?: unknown; grams?: unknown }
    if (raw.v !== INDEX_VERSION || raw.bytes !== bytes || !Array.isArray(raw.ends) || typeof raw.grams !== 'object' || raw.grams === null) return null
    const ends = raw.ends as number[]
    if (ends.length > 0 && ends[ends.length - 1] !== bytes) return null
    const grams = new Map<string, Uint8Array>()
    for (const [g, b64] of Object.entries(raw.grams as Record<string, string>)) grams.set(g, new Uint8Array(Buffer.from(b64, 'base64')))
    return { bytes, ends, grams }
  } catch {
    return null
  }
}
