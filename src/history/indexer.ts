/**
 * Keeps the sealed history segments indexed (segment-index.ts) so that a search reads only the
 * blocks that can match: a segment is indexed in the offload pool when the log seals it, and the
 * sealed segments without an index (an older broker's, a crash before the index was written) are
 * indexed a little after start. One task at a time, so searches keep getting pool threads.
 * A segment a search reaches first is indexed by that search's worker instead.
 */
import { existsSync } from 'node:fs'
import type { OffloadPool } from '../offload/pool.js'
import type { HistoryLog, Segment } from './log.js'
import { indexPathOf } from './segment-index.js'

/** Delay after start before the sealed segments without an index are indexed (start-up first). */
export const HISTORY_INDEX_BACKFILL_DELAY_MS = 2_000

export class SegmentIndexer {
  readonly #log: HistoryLog
  readonly #pool: OffloadPool
  readonly #queue: string[] = []
  #running = false

  constructor(log: HistoryLog, pool: OffloadPool) {
    this.#log = log
    this.#pool = pool
    log.onSealed = (seg: Segment) => this.#enqueue(seg.path)
    setTimeout(() => this.#backfill(), HISTORY_INDEX_BACKFILL_DELAY_MS).unref()
  }

  #backfill(): void {
    for (const seg of this.#log.segments().slice(0, -1)) if (!existsSync(indexPathOf(seg.path))) this.#enqueue(seg.path)
  }

  #enqueue(path: string): void {
    if (!this.#queue.includes(path)) this.#queue.push(path)
    if (!this.#running) void this.#drain()
  }

  async #drain(): Promise<void> {
    this.#running = true
    try {
      for (let path = this.#queue.shift(); path !== undefined; path = this.#queue.shift()) {
        // Failures (pool closed at shutdown, disk full) leave the segment unindexed: searches still scan it.
        await this.#pool.run('index-segment', { path }).catch(() => {})
      }
    } finally {
      this.#running = false
    }
  }
}
