/**
 * One agent's mailbox in the supervisor: deliveries not yet handed to its worker, in priority
 * order (P0 first, then oldest first), and the few handed over and not finished (in flight).
 *
 * - `auto_inject`: waiting deliveries go to the worker as soon as the in-flight window allows.
 * - `manual_flush`: they stay parked until `flush()` releases them.
 * - Over MAILBOX_MAX waiting, the oldest delivery of the lowest droppable priority (P2–P4) is
 *   evicted (the caller dead-letters it with `evictionReason`, which says whether it made room for
 *   a more urgent message, a newer one of the same priority, or was itself the least urgent);
 *   P0 and P1 are never evicted.
 */
import type { DeliveryRecord } from './tracker.js'

/** Undelivered messages one agent's mailbox holds; beyond it the lowest droppable priority is evicted. */
export const MAILBOX_MAX = 256

/** Priorities below this number (P0, P1) are never evicted from a mailbox. */
export const MAILBOX_DROPPABLE_FROM_PRIORITY = 2

export type InboundMode = 'auto_inject' | 'manual_flush'

function before(a: DeliveryRecord, b: DeliveryRecord): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.created_at < b.created_at)
}

/** Why `victim` was evicted when `newcomer` arrived at a mailbox holding `cap` deliveries. */
export function evictionReason(victim: DeliveryRecord, newcomer: DeliveryRecord, cap: number): string {
  const head = `mailbox_full: cap ${cap} reached`
  if (victim === newcomer) return `${head}; this P${victim.priority} message was the least urgent, so it was not kept`
  if (victim.priority > newcomer.priority) return `${head}; dropped this P${victim.priority} message for a more urgent P${newcomer.priority} one`
  return `${head}; dropped this oldest waiting P${victim.priority} message to make room for a newer message of the same priority`
}

export class Mailbox {
  mode: InboundMode = 'auto_inject'
  readonly #waiting: DeliveryRecord[] = []
  readonly #inflight = new Set<string>()
  /** Waiting deliveries released by a flush while in manual mode. */
  readonly #released = new Set<string>()
  readonly #max: number

  constructor(max = MAILBOX_MAX) {
    this.#max = max
  }

  /** Waiting deliveries beyond which one is evicted. */
  get cap(): number {
    return this.#max
  }

  get waitingCount(): number {
    return this.#waiting.length
  }

  get inflightCount(): number {
    return this.#inflight.size
  }

  isInflight(id: string): boolean {
    return this.#inflight.has(id)
  }

  /** Adds a delivery; returns the one evicted to make room (possibly `rec` itself), or null. */
  enqueue(rec: DeliveryRecord): DeliveryRecord | null {
    this.#insert(rec)
    if (this.#waiting.length <= this.#max) return null
    let victim = -1
    for (let i = 0; i < this.#waiting.length; i++) {
      const r = this.#waiting[i]!
      if (r.priority < MAILBOX_DROPPABLE_FROM_PRIORITY) continue
      if (victim === -1 || r.priority > this.#waiting[victim]!.priority) victim = i
    }
    if (victim === -1) return null // only P0/P1: never dropped, the mailbox runs over its cap
    const [evicted] = this.#waiting.splice(victim, 1)
    this.#released.delete(evicted!.delivery_id)
    return evicted!
  }

  /** Moves up to `room` deliveries from waiting to in flight and returns them. */
  take(room: number): DeliveryRecord[] {
    const out: DeliveryRecord[] = []
    let i = 0
    while (out.length < room && i < this.#waiting.length) {
      const rec = this.#waiting[i]!
      if (this.mode === 'manual_flush' && !this.#released.has(rec.delivery_id)) {
        i++
        continue
      }
      this.#waiting.splice(i, 1)
      this.#released.delete(rec.delivery_id)
      this.#inflight.add(rec.delivery_id)
      out.push(rec)
    }
    return out
  }

  /** A delivery in flight goes back to waiting (its worker went away before finishing it). */
  requeue(rec: DeliveryRecord): void {
    if (!this.#inflight.delete(rec.delivery_id)) return
    this.#released.add(rec.delivery_id)
    this.#insert(rec)
  }

  /** A delivery reached a terminal stage (or is being removed): forget it. */
  remove(id: string): void {
    if (this.#inflight.delete(id)) return
    const i = this.#waiting.findIndex((r) => r.delivery_id === id)
    if (i !== -1) this.#waiting.splice(i, 1)
    this.#released.delete(id)
  }

  /** Releases every parked delivery; returns how many. */
  flush(): number {
    let n = 0
    for (const r of this.#waiting) {
      if (!this.#released.has(r.delivery_id)) {
        this.#released.add(r.delivery_id)
        n++
      }
    }
    return n
  }

  /** Deliveries parked by manual_flush mode (what `/pending` lists), head first. */
  parked(): DeliveryRecord[] {
    return this.mode === 'manual_flush' ? this.#waiting.filter((r) => !this.#released.has(r.delivery_id)) : []
  }

  /** Waiting deliveries whose deadline passed (removed). */
  expire(nowMs: number): DeliveryRecord[] {
    const out: DeliveryRecord[] = []
    for (let i = this.#waiting.length - 1; i >= 0; i--) {
      if (this.#waiting[i]!.deadline_ms <= nowMs) out.push(...this.#waiting.splice(i, 1))
    }
    for (const r of out) this.#released.delete(r.delivery_id)
    return out.reverse()
  }

  /** Every delivery still held: waiting ones and the ids in flight. */
  allIds(): string[] {
    return [...this.#inflight, ...this.#waiting.map((r) => r.delivery_id)]
  }

  #insert(rec: DeliveryRecord): void {
    let lo = 0
    let hi = this.#waiting.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      // After every delivery that is not behind it: equal priority and millisecond keep arrival order.
      if (!before(rec, this.#waiting[mid]!)) lo = mid + 1
      else hi = mid
    }
    this.#waiting.splice(lo, 0, rec)
  }
}
