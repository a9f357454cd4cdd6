/**
 * Delivery records: one per (message, recipient), moved forward through
 *   accepted → queued (in the worker) → [injecting (typing, the program not reading yet)]
 *            → injected (typed) → verified (seen on screen)
 * or to a terminal `failed` (typed or maybe typed, not verified) or `dead_lettered` (never
 * typed, and redeliverable), each terminal stage with a reason. A stage never moves backwards.
 */
import { randomUUID } from 'node:crypto'
import type { InjectionMode } from '../../protocol/frames.js'

/** Dead letters kept (the oldest is trimmed, and logged, beyond it). */
export const DEAD_LETTER_MAX = 500

export type DeliveryStage = 'accepted' | 'queued' | 'injecting' | 'injected' | 'verified' | 'failed' | 'dead_lettered'

const TERMINAL_RANK = 4
const STAGE_RANK: Record<DeliveryStage, number> = { accepted: 0, queued: 1, injecting: 2, injected: 3, verified: TERMINAL_RANK, failed: TERMINAL_RANK, dead_lettered: TERMINAL_RANK }
/** Finished (verified or failed) records kept for look-ups. */
export const DELIVERY_FINISHED_KEEP_MAX = 10_000

export function isTerminal(stage: DeliveryStage): boolean {
  return STAGE_RANK[stage] === TERMINAL_RANK
}

/** A byte of it went to the agent's terminal (as far as the supervisor heard): never "not typed". */
export function wasTyped(rec: Pick<DeliveryRecord, 'stage' | 'history'>): boolean {
  return rec.stage === 'injecting' || rec.stage === 'injected' || rec.stage === 'verified' || rec.history.some((h) => h.stage === 'injecting' || h.stage === 'injected')
}

export interface DeliveryRecord {
  delivery_id: string
  event_id: string
  /** The recipient agent. */
  agent: string
  from: string
  /** The target as the sender wrote it. */
  to: string
  body: string
  thread_id: string | null
  priority: number
  injection_mode: InjectionMode
  stage: DeliveryStage
  reason: string | null
  created_at: number
  /** Epoch ms after which it must not be typed any more (then it is dead-lettered). */
  deadline_ms: number
  /** Times it was handed to a worker. */
  attempts: number
  idempotency_key: string | null
  /** For a dead letter sent again: the new delivery's id. */
  redelivered_as: string | null
  history: { stage: DeliveryStage; at: number; reason?: string }[]
  /** Set when the recipient lives on another node of the team (its stages arrive from there). */
  node?: string
  /** Set when the delivery came from another node of the team (its stages are reported there). */
  origin?: string
}

export type NewDelivery = Omit<DeliveryRecord, 'delivery_id' | 'stage' | 'reason' | 'created_at' | 'history' | 'attempts' | 'redelivered_as'>

export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`
}

export class DeliveryTracker {
  readonly #open = new Map<string, DeliveryRecord>()
  readonly #finished = new Map<string, DeliveryRecord>()
  readonly #deadLetters = new Map<string, DeliveryRecord>()

  /** `id`: given for a delivery that another node of the team accepted. */
  create(fields: NewDelivery, id = newId('del')): DeliveryRecord {
    const now = Date.now()
    const rec: DeliveryRecord = {
      ...fields,
      delivery_id: id,
      stage: 'accepted',
      reason: null,
      created_at: now,
      attempts: 0,
      redelivered_as: null,
      history: [{ stage: 'accepted', at: now }]
    }
    this.#open.set(rec.delivery_id, rec)
    return rec
  }

  /** Forgets an open record that was never accepted (its journal write failed). */
  discard(id: string): void {
    this.#open.delete(id)
  }

  /** Puts back a record read from the journal. */
  restore(rec: DeliveryRecord): void {
    if (!isTerminal(rec.stage)) this.#open.set(rec.delivery_id, rec)
    else this.#file(rec)
  }

  get(id: string): DeliveryRecord | undefined {
    return this.#open.get(id) ?? this.#deadLetters.get(id) ?? this.#finished.get(id)
  }

  /** Moves a delivery forward. Returns the record if the stage changed, else null. */
  advance(id: string, stage: DeliveryStage, reason?: string, at = Date.now()): DeliveryRecord | null {
    const rec = this.#open.get(id)
    if (!rec) return null
    if (STAGE_RANK[stage] <= STAGE_RANK[rec.stage]) return null
    rec.stage = stage
    rec.history.push(reason === undefined ? { stage, at } : { stage, at, reason })
    if (reason !== undefined) rec.reason = reason
    if (isTerminal(stage)) {
      this.#open.delete(id)
      this.#file(rec)
    }
    return rec
  }

  /** Deliveries to `agent` that have not reached a terminal stage. */
  openFor(agent: string): DeliveryRecord[] {
    const out: DeliveryRecord[] = []
    for (const rec of this.#open.values()) if (rec.agent === agent) out.push(rec)
    return out
  }

  get openCount(): number {
    return this.#open.size
  }

  openRecords(): IterableIterator<DeliveryRecord> {
    return this.#open.values()
  }

  deadLetters(): IterableIterator<DeliveryRecord> {
    return this.#deadLetters.values()
  }

  /** Everything worth keeping in a compacted journal: open records, dead letters, recent finished. */
  *retained(): IterableIterator<DeliveryRecord> {
    yield* this.#open.values()
    yield* this.#deadLetters.values()
    yield* this.#finished.values()
  }

  #file(rec: DeliveryRecord): void {
    if (rec.stage === 'dead_lettered') {
      this.#deadLetters.set(rec.delivery_id, rec)
      if (this.#deadLetters.size > DEAD_LETTER_MAX) {
        const oldest = this.#deadLetters.keys().next().value!
        const old = this.#deadLetters.get(oldest)!
        this.#deadLetters.delete(oldest)
        this.#keepFinished(old)
      }
      return
    }
    this.#keepFinished(rec)
  }

  #keepFinished(rec: DeliveryRecord): void {
    this.#finished.set(rec.delivery_id, rec)
    if (this.#finished.size > DELIVERY_FINISHED_KEEP_MAX) this.#finished.delete(this.#finished.keys().next().value!)
  }
}
