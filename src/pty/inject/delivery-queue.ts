
/** Deliveries a child holds before it refuses more (`delivery_failed`, `queue_full`). */
export const PTY_QUEUE_MAX = 1_024
/** Delivery ids a child remembers to refuse duplicates. */
export const PTY_SEEN_DELIVERY_IDS_MAX = 8_192
/**
 * The child's delivery queue and its memory of delivery ids.
 *
 * `DeliveryQueue`: ordered by priority (0 first; null counts as 2), FIFO within a priority,
 * bounded. `SeenDeliveries`: the last status frame sent for each delivery id, bounded (the
 * oldest id is forgotten first), so a re-sent `deliver_relay` is answered with what already
 * happened instead of being injected twice.
 */

export const PRIORITY_LEVELS = 5
export const DEFAULT_PRIORITY = 2

export function priorityOf(priority: number | null | undefined): number {
  if (priority === null || priority === undefined || !Number.isInteger(priority)) return DEFAULT_PRIORITY
  return Math.min(PRIORITY_LEVELS - 1, Math.max(0, priority))
}

export class DeliveryQueue<T> {
  readonly #buckets: T[][] = Array.from({ length: PRIORITY_LEVELS }, () => [])
  /** Read position of each bucket (a shift() per item would be O(n)). */
  readonly #heads: number[] = new Array<number>(PRIORITY_LEVELS).fill(0)
  readonly #max: number
  #size = 0

  constructor(max = PTY_QUEUE_MAX) {
    this.#max = max
  }

  get size(): number {
    return this.#size
  }

  /** Adds `item`; false when the queue is full. */
  push(item: T, priority: number | null | undefined): boolean {
    if (this.#size >= this.#max) return false
    this.#buckets[priorityOf(priority)]!.push(item)
    this.#size++
    return true
  }

  /** The most urgent priority level with an item waiting, or -1. */
  #nextLevel(): number {
    if (this.#size === 0) return -1
    for (let p = 0; p < PRIORITY_LEVELS; p++) if (this.#heads[p]! < this.#buckets[p]!.length) return p
    return -1
  }

  shift(): T | undefined {
    const p = this.#nextLevel()
    if (p < 0) return undefined
    const bucket = this.#buckets[p]!
    const head = this.#heads[p]!
    const item = bucket[head]!
    if (head + 1 === bucket.length) {
      bucket.length = 0
      this.#heads[p] = 0
    } else {
      ;(bucket as (T | undefined)[])[head] = undefined
      this.#heads[p] = head + 1
      if (head + 1 >= 64 && (head + 1) * 2 >= bucket.length) {
        bucket.splice(0, head + 1)
        this.#heads[p] = 0
      }
    }
    this.#size--
    return item
  }

  /** The item `shift` would return, left in place. */
  peek(): T | undefined {
    const p = this.#nextLevel()
    return p < 0 ? undefined : this.#buckets[p]![this.#heads[p]!]
  }

  /** Removes the items matching `pred` (order of the rest kept) and returns them. */
  removeWhere(pred: (item: T) => boolean): T[] {
    const removed: T[] = []
    for (let p = 0; p < PRIORITY_LEVELS; p++) {
      const bucket = this.#buckets[p]!
      const head = this.#heads[p]!
      const live = bucket.slice(head) as T[]
      const kept: T[] = []
      for (const item of live) (pred(item) ? removed : kept).push(item)
      if (kept.length !== live.length) {
        this.#buckets[p] = kept
        this.#heads[p] = 0
      }
    }
    this.#size -= removed.length
    return removed
  }

  /** Removes and returns every queued item, in order. */
  drain(): T[] {
    const out: T[] = []
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item)
    return out
  }
}

export type DeliveryStatusType = 'delivery_queued' | 'delivery_injecting' | 'delivery_injected' | 'delivery_verified' | 'delivery_failed'

/** A status frame as it was sent, to send again for a duplicate. */
export interface StatusFrame {
  type: DeliveryStatusType
  payload: Record<string, unknown>
}

export class SeenDeliveries {
  readonly #last = new Map<string, StatusFrame>()
  readonly #max: number

  constructor(max = PTY_SEEN_DELIVERY_IDS_MAX) {
    this.#max = max
  }

  get size(): number {
    return this.#last.size
  }

  has(deliveryId: string): boolean {
    return this.#last.has(deliveryId)
  }

  last(deliveryId: string): StatusFrame | undefined {
    return this.#last.get(deliveryId)
  }

  /** Records the latest status of an id (a new id may push out the oldest one). */
  record(deliveryId: string, frame: StatusFrame): void {
    if (this.#last.has(deliveryId)) {
      this.#last.set(deliveryId, frame)
      return
    }
    this.#last.set(deliveryId, frame)
    if (this.#last.size > this.#max) {
      const oldest = this.#last.keys().next().value
      if (oldest !== undefined) this.#last.delete(oldest)
    }
  }
}
