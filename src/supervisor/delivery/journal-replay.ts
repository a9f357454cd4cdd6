/**
 * Start-up: the delivery journal of an earlier run comes back — records into the tracker, open
 * ones into their mailboxes, idempotency keys into the dedup cache — and what the replay could
 * not use (torn, unreadable, orphaned records) is logged with its reasons.
 */
import type { DedupCache } from './dedup-cache.js'
import { DeliveryJournal, type JournalState } from './journal.js'
import { isTerminal, type DeliveryRecord, type DeliveryTracker } from './tracker.js'
import type { InboundMode, Mailbox } from './mailbox.js'
import type { SendResult } from './types.js'

/** What the replay fills in (the runtime). */
export interface ReplayTarget {
  deliveries: Pick<DeliveryTracker, 'restore'>
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }
}

export function replayInto(rt: ReplayTarget, path: string, dedup: DedupCache<SendResult>, mailbox: (agent: string) => Mailbox): { state: JournalState; open: number } {
  const state = DeliveryJournal.load(path)
  for (const [agent, mode] of state.modes) mailbox(agent).mode = mode as InboundMode
  let open = 0
  const byEvent = new Map<string, DeliveryRecord[]>()
  for (const rec of state.records.values()) {
    if (!rec.idempotency_key) continue
    const list = byEvent.get(rec.event_id)
    if (list) list.push(rec)
    else byEvent.set(rec.event_id, [rec])
  }
  for (const rec of state.records.values()) {
    rt.deliveries.restore(rec)
    if (rec.idempotency_key) dedup.restore(rec.idempotency_key, rec.created_at, resultOf(rec.event_id, byEvent.get(rec.event_id)!))
    if (isTerminal(rec.stage)) continue
    open++
    if (rec.node !== undefined) continue // its agent is on another node, which reports its stages
    mailbox(rec.agent).enqueue(rec)
  }
  const r = state.report
  if (r.torn + r.unreadable + r.orphaned > 0) {
    rt.log.warn({ torn: r.torn, unreadable: r.unreadable, orphaned: r.orphaned, reasons: r.reasons }, `delivery journal replay: ${r.torn} torn, ${r.unreadable} unreadable, ${r.orphaned} orphaned records not used`)
  }
  return { state, open }
}

function resultOf(event_id: string, siblings: readonly DeliveryRecord[]): SendResult {
  return {
    event_id,
    targets: siblings.map((r) => r.agent),
    deliveries: siblings.map((r) => ({ name: r.agent, delivery_id: r.delivery_id })),
    duplicate: false
  }
}
