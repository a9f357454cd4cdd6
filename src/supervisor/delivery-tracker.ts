/**
 * Delivery bookkeeping: one record per (message, recipient), moved forward by the child's
 * frames through `accepted → queued → injected → verified`, or to `failed` with a reason.
 * A stage never moves backwards (a child re-reporting an old stage changes nothing).
 */
import { randomUUID } from 'node:crypto'
import type { InjectionMode } from '../protocol/frames.js'

export type DeliveryStage = 'accepted' | 'queued' | 'injected' | 'verified' | 'failed'

const STAGE_RANK: Record<DeliveryStage, number> = { accepted: 0, queued: 1, injected: 2, verified: 3, failed: 3 }
/** Terminal records kept for look-ups after they finished. */
export const DELIVERY_FINISHED_KEEP_MAX = 10_000

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
  history: { stage: DeliveryStage; at: number; reason?: string }[]
}

export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`
}

export class DeliveryTracker {
  readonly #open = new Map<string, DeliveryRecord>()
  readonly #finished = new Map<string, DeliveryRecord>()

  create(fields: Omit<DeliveryRecord, 'delivery_id' | 'stage' | 'reason' | 'created_at' | 'history'>): DeliveryRecord {
    const now = Date.now()
    const rec: DeliveryRecord = {
      ...fields,
      delivery_id: newId('del'),
      stage: 'accepted',
      reason: null,
      created_at: now,
      history: [{ stage: 'accepted', at: now }]
    }
    this.#open.set(rec.delivery_id, rec)
    return rec
  }

  get(id: string): DeliveryRecord | undefined {
    return this.#open.get(id) ?? this.#finished.get(id)
  }

  /** Moves a delivery forward. Returns the record if the stage changed, else null. */
  advance(id: string, stage: DeliveryStage, reason?: string): DeliveryRecord | null {
    const rec = this.#open.get(id)
    if (!rec) return null
    if (STAGE_RANK[stage] <= STAGE_RANK[rec.stage]) return null
    rec.stage = stage
    rec.history.push(reason === undefined ? { stage, at: Date.now() } : { stage, at: Date.now(), reason })
    if (reason !== undefined) rec.reason = reason
    if (stage === 'verified' || stage === 'failed') {
      this.#open.delete(id)
      this.#finished.set(id, rec)
      if (this.#finished.size > DELIVERY_FINISHED_KEEP_MAX) {
        this.#finished.delete(this.#finished.keys().next().value!)
      }
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
}
