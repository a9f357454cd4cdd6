/**
 * A search over the on-disk history: the segments are scanned newest first, in waves of as many
 * segments as the pool has threads, each in a worker (workers/search-segment.ts); the loop only
 * merges the few hits. It stops after the wave that completes `limit` hits.
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

interface SegmentOutput {
  hits: HistoryRecord[]
  parsed: number
  bytes: number
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
  const hits: HistoryRecord[] = []
  let scanned = 0
  for (let i = 0; i < segments.length && hits.length < limit; i += pool.threads) {
    const wave = segments.slice(i, i + pool.threads)
    const outs = await Promise.all(
      // All but the newest segment are sealed: they are read through their index (segment-index.ts).
      wave.map((s) => pool.run<SegmentOutput>('search-segment', { path: s.path, query, scope, limit: limit - hits.length, sealed: s !== current }))
    )
    scanned += wave.length
    for (const out of outs) hits.push(...out.hits)
  }
  // Segments of one wave each fill up to the same cap: keep the newest `limit`.
  const truncated = hits.length >= limit
  hits.length = Math.min(hits.length, limit)
  return { hits, truncated, segments_scanned: scanned, segments_total: segments.length, took_ms: performance.now() - t0 }
}
