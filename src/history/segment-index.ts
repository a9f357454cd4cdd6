/**
 * A sealed history segment's index (`messages-NNNNNN.jsonl.idx` next to it): the segment is cut
 * into blocks of whole lines (about INDEX_BLOCK_BYTES each), and for every trigram (three UTF-16
 * code units) of the lower-cased lines the index records which blocks hold it.
 *
 * A search term is a case-insensitive substring of the body (query.ts): every trigram of the term
 * then occurs in the lower-cased line, so a block missing one of them cannot hold a match and is
 * not read. Terms shorter than three characters, or holding a character JSON escapes, narrow
 * nothing. The index only skips blocks; the blocks that are read are matched exactly as before,
 * so results do not change.
 *
 * Built in the pool when a segment is sealed (indexer.ts, workers/index-segment.ts), or by a search
 * worker that reaches an unindexed sealed segment first (workers/search-segment.ts); written next
 * to the segment (temp file + rename; it is a cache: a torn, stale or unreadable index is rebuilt).
 * Pure apart from the file reads and writes: no imports of ours.
 */
import { readFileSync } from 'node:fs'
import { writeFileAtomicSync } from '../protocol/atomic-file.js'

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

/** Trigrams of three ASCII code units are counted in a table of this many slots (7 bits each). */
const ASCII_GRAMS = 1 << 21

/**
 * Builds the index of a segment's bytes. The trigrams are those of each whole line, lower-cased
 * (decoded as UTF-8): a superset of the body's, found without parsing the JSON. Sound for the
 * terms `candidateBlocks` is told may narrow (the worker: query.ts `rawLinePrefilterSafe`): such
 * a term holds no character JSON escapes, so where the body holds it the line holds it too.
 * ASCII trigrams (nearly all) go through a flat table, the rest through a map.
 */
export function buildSegmentIndex(buf: Buffer, blockBytes = INDEX_BLOCK_BYTES): SegmentIndex {
  const ends: number[] = []
  for (let start = 0; start < buf.length; ) {
    const end = buf.indexOf(0x0a, Math.min(start + blockBytes, buf.length - 1))
    start = end < 0 ? buf.length : end + 1
    ends.push(start)
  }
  const width = Math.ceil(ends.length / 8)
  const lastBlock = new Int32Array(ASCII_GRAMS).fill(-1)
  const ascii = new Map<number, Uint8Array>()
  const grams = new Map<string, Uint8Array>()
  for (let block = 0; block < ends.length; block++) {
    const lower = buf.toString('utf8', block === 0 ? 0 : ends[block - 1], ends[block]).toLowerCase()
    const byte = block >> 3
    const bit = 1 << (block & 7)
    let a = lower.charCodeAt(0)
    let b = lower.charCodeAt(1)
    for (let i = 2; i < lower.length; i++) {
      const c = lower.charCodeAt(i)
      if ((a | b | c) < 0x80) {
        const k = (a << 14) | (b << 7) | c
        if (lastBlock[k] !== block) {
          lastBlock[k] = block
          let bits = ascii.get(k)
          if (bits === undefined) ascii.set(k, (bits = new Uint8Array(width)))
          bits[byte]! |= bit
        }
      } else {
        const g = lower.slice(i - 2, i + 1)
        let bits = grams.get(g)
        if (bits === undefined) grams.set(g, (bits = new Uint8Array(width)))
        bits[byte]! |= bit
      }
      a = b
      b = c
    }
  }
  for (const [k, bits] of ascii) grams.set(String.fromCharCode(k >> 14, (k >> 7) & 0x7f, k & 0x7f), bits)
  return { bytes: buf.length, ends, grams }
}

/** The blocks (indices, ascending) that can hold a body containing every term (`safe`: the terms that may narrow). */
export function candidateBlocks(index: SegmentIndex, terms: readonly string[], safe: (term: string) => boolean): number[] {
  const all = index.ends.map((_, i) => i)
  let mask: Uint8Array | null = null
  for (const t of terms) {
    if (!safe(t)) continue
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

/**
 * Writes the index next to its segment, atomically (a unique temp file each time: two pool threads
 * may write the same index at once). A failed write is left to the next search, which rebuilds it.
 */
export function writeSegmentIndex(segmentPath: string, index: SegmentIndex): void {
  const grams: Record<string, string> = {}
  for (const [g, bits] of index.grams) grams[g] = Buffer.from(bits).toString('base64')
  try {
    writeFileAtomicSync(indexPathOf(segmentPath), JSON.stringify({ v: INDEX_VERSION, bytes: index.bytes, ends: index.ends, grams }))
  } catch {
    // not written: searches read the segment whole until an index is
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
