/**
 * The supervisor's worker-thread pool (piscina): work that would otherwise hold its event loop for
 * milliseconds to seconds — scanning the message history for a search, rewriting the delivery
 * journal when it is compacted. Task files live in `workers/` (compiled to `dist/workers/`).
 *
 * Created on first use (piscina and the threads cost nothing until then); threads exit after
 * OFFLOAD_IDLE_MS without work, so an idle broker carries none. One thread less than the cores,
 * at least one, at a lower priority: the supervisor's own loop keeps a core.
 */
import { availableParallelism } from 'node:os'
import { installPath } from '../catalog/install.js'
import type { Piscina } from 'piscina'

/** A pool thread with nothing to do exits after this long. */
export const OFFLOAD_IDLE_MS = 30_000
/** Threads in the pool. */
export const OFFLOAD_THREADS = Math.max(1, availableParallelism() - 1)
/** Tasks allowed to wait for a thread; past that `run` rejects at once (queue_full). */
export const OFFLOAD_QUEUE_MAX = 256
/**
 * Pool threads run at this much lower priority (Linux nice, per thread): when the cores are
 * contended the supervisor's loop wins, and a search takes longer instead of the loop lagging.
 */
export const OFFLOAD_NICE_INCREMENT = 10

export type OffloadTask = 'search-segment' | 'compact-journal' | 'index-segment'

/** `dist/workers/<task>.js` of this installation. */
export function taskFile(task: OffloadTask): string {
  return installPath('dist', 'workers', `${task}.js`)
}

export class OffloadPool {
  #pool: Promise<Piscina> | null = null
  #closed = false

  get threads(): number {
    return OFFLOAD_THREADS
  }

  /** Whether the pool has been started (for metrics and tests). */
  get started(): boolean {
    return this.#pool !== null
  }

  async run<R>(task: OffloadTask, input: unknown): Promise<R> {
    if (this.#closed) throw new Error('offload pool closed')
    const pool = await (this.#pool ??= this.#create())
    return (await pool.run(input, { filename: taskFile(task) })) as R
  }

  async close(): Promise<void> {
    this.#closed = true
    if (!this.#pool) return
    const pool = await this.#pool
    await pool.destroy()
  }

  async #create(): Promise<Piscina> {
    const { Piscina } = await import('piscina')
    return new Piscina({
      minThreads: 0,
      maxThreads: OFFLOAD_THREADS,
      idleTimeout: OFFLOAD_IDLE_MS,
      maxQueue: OFFLOAD_QUEUE_MAX,
      niceIncrement: OFFLOAD_NICE_INCREMENT
    })
  }
}
