/**
 * Spawn storms: at most SPAWN_CONCURRENCY_MAX children start at once. A child holds its slot
 * from its spawn until it is ready, exits, or SPAWN_SLOT_HOLD_MAX_MS passed (a CLI stuck on a
 * login wall must not block the queue). Spawns beyond the limit wait in order (their HTTP answer
 * comes when their child starts); beyond SPAWN_QUEUE_MAX waiting, a spawn is refused at once
 * with 503 and a retry hint. Starting a node child costs the machine a lot of CPU for a moment;
 * keeping few of them at once keeps `/health` and sends to running agents answered.
 */
import { SpawnQueueFullError } from '../../errors/index.js'
export { SpawnQueueFullError } from '../../errors/index.js'

/** Children starting (spawned, not yet ready) at the same time. */
export const SPAWN_CONCURRENCY_MAX = 4
/** Spawns that may wait for a slot; more are refused with 503. */
export const SPAWN_QUEUE_MAX = 256
/** Longest a starting child keeps its slot without becoming ready. */
export const SPAWN_SLOT_HOLD_MAX_MS = 10_000
/** Retry-After (seconds) of a spawn refused because the queue is full. */
export const SPAWN_RETRY_AFTER_SECS = 5

/** A start slot: `free()` gives it back (idempotent). */
export interface SpawnSlot {
  free(): void
}

export class SpawnGate {
  readonly #max: number
  readonly #queueMax: number
  #active = 0
  readonly #waiting: (() => void)[] = []

  constructor(max = SPAWN_CONCURRENCY_MAX, queueMax = SPAWN_QUEUE_MAX) {
    this.#max = max
    this.#queueMax = queueMax
  }

  get active(): number {
    return this.#active
  }

  get waiting(): number {
    return this.#waiting.length
  }

  /** Resolves with a slot when one is free; throws SpawnQueueFullError when too many wait. */
  enter(): Promise<SpawnSlot> {
    if (this.#active < this.#max) return Promise.resolve(this.#slot())
    if (this.#waiting.length >= this.#queueMax) return Promise.reject(new SpawnQueueFullError(this.#waiting.length, SPAWN_CONCURRENCY_MAX, SPAWN_RETRY_AFTER_SECS))
    return new Promise((resolve) => this.#waiting.push(() => resolve(this.#slot())))
  }

  /** Frees the slot after `ms` even if nobody else does. */
  holdAtMost(slot: SpawnSlot, ms = SPAWN_SLOT_HOLD_MAX_MS): void {
    setTimeout(() => slot.free(), ms).unref()
  }

  #slot(): SpawnSlot {
    this.#active++
    let freed = false
    return {
      free: () => {
        if (freed) return
        freed = true
        this.#active--
        const next = this.#waiting.shift()
        if (next) next()
      }
    }
  }
}
