/**
 * A search over the on-disk history: the segments, newest first, are cut into as many runs of
 * consecutive segments as the pool has threads, and each run is scanned by one task
 * (workers/search-segment.ts), newest first, until it holds `limit` hits. The loop only joins the
 * runs' hits in order and keeps the newest `limit`: one message from the pool per run.
 */
import type { OffloadPool } from '../offload/pool.js'
import type { HistoryLog } from './log.js'
import type { HistoryRecord, SearchQuery, SearchScope } from './query.js'

/** Hits returned when no limit is given, and the most one search returns. */
export const SEARCH_LIMIT_DEFAULT = 50
export const SEARCH_LIMIT_MAX = 500

export interface SearchResult {
  /** Newest first. */
  hits: HistoryRecord[]
  /** The limit was reached: older matches may exist. */
  truncated: boolean
  segments_scanned: number
  segments_total: number
  took_ms: number
}

interface SegmentsOutput {
  hits: HistoryRecord[]
  scanned: number
  parsed: number
  bytes: number
}

/** `items` cut into `n` runs of consecutive items (fewer when there are fewer items), the first runs one longer when it does not divide. */
export function runsOf<T>(items: readonly T[], n: number): T[][] {
  const runs: T[][] = []
  const count = Math.min(n, items.length)
  let at = 0
  for (let r = 0; r < count; r++) {
    const size = Math.ceil((items.length - at) / (count - r))
    runs.push(items.slice(at, at + size))
    at += size
  }
  return runs
}

export async function searchHistory(
  log: HistoryLog,
  pool: OffloadPool,
  query: SearchQuery,
  scope: SearchScope | null,
  limit: number
): Promise<SearchResult> {
  const t0 = performance.now()
  await log.flushed() // everything accepted so far is in the files
  const segments = log.segments().reverse()
  const current = segments[0]
  // All but the newest segment are sealed: they are read through their index (segment-index.ts).
  const refs = segments.map((s) => ({ path: s.path, sealed: s !== current }))
  const outs = await Promise.all(runsOf(refs, pool.threads).map((run) => pool.run<SegmentsOutput>('search-segment', { segments: run, query, scope, limit })))
  const hits: HistoryRecord[] = []
  let scanned = 0
  for (const out of outs) {
    // runs are newest first and each stops at `limit`: older runs matter only while hits are short
    if (hits.length >= limit) break
    hits.push(...out.hits)
    scanned += out.scanned
  }
  const truncated = hits.length >= limit
  hits.length = Math.min(hits.length, limit)
  return { hits, truncated, segments_scanned: scanned, segments_total: segments.length, took_ms: performance.now() - t0 }
}
