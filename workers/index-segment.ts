/**
 * Pool task (src/offload/pool.ts): builds a sealed history segment's search index and writes it
 * next to the segment (src/history/segment-index.ts). Queued by src/history/indexer.ts when a
 * segment is sealed, and for sealed segments without an index when the broker starts.
 */
import { readFileSync } from 'node:fs'
import { buildSegmentIndex, readSegmentIndex, writeSegmentIndex } from '../src/history/segment-index.js'

export interface IndexSegmentInput {
  path: string
}

export default function indexSegment(input: IndexSegmentInput): { blocks: number } {
  let buf: Buffer
  try {
    buf = readFileSync(input.path)
  } catch {
    return { blocks: 0 } // pruned meanwhile
  }
  const existing = readSegmentIndex(input.path, buf.length) // a search may have built it first
  if (existing) return { blocks: existing.ends.length }
  const index = buildSegmentIndex(buf)
  writeSegmentIndex(input.path, index)
  return { blocks: index.ends.length }
}
