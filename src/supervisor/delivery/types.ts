/** The delivery engine's request/result shapes, its typed errors and small pure helpers. */
import type { HubMessage, RemoteDelivery } from '../../hub/types.js'
import type { DeliveryRecord } from './tracker.js'
export { NoRecipientError, UnknownAgentError, DeliveryNotFoundError, PossiblyTypedError } from '../../errors/index.js'

export interface SendRequest {
  to: string
  text: string
  from: string | null
  thread_id: string | null
  mode: 'wait' | 'steer'
  /** P0 (most urgent) … P4; default 2 for a DM, 3 for a channel. */
  priority?: number | null
  /** A repeated send with the same key is accepted once (answered with the first result). */
  idempotency_key?: string | null
}

export interface SendResult {
  event_id: string
  targets: string[]
  deliveries: { name: string; delivery_id: string }[]
  /** True when this answer repeats an earlier send with the same idempotency key. */
  duplicate: boolean
}

export interface RedeliverResult {
  record: DeliveryRecord
  /** The earlier delivery was (possibly) typed and `force` sent it anyway. */
  forced: boolean
  warning: string | null
}

/** A message as the engine accepts it: what travels through a hub, plus the sender's idempotency key. */
export interface Message extends HubMessage {
  idempotency_key?: string | null
}

/** Who a send is from: the broker's own name for the dashboard and the orchestrator. */
export function normalizeSender(from: string | null, brokerName: string): string {
  const f = (from ?? '').trim()
  if (!f) return brokerName
  const lower = f.toLowerCase()
  if (lower === 'dashboard' || lower === 'human:dashboard' || lower === 'human:orchestrator' || lower === brokerName.toLowerCase()) return brokerName
  return f
}

/** The answer a send gave, rebuilt from its deliveries (after a restart, for idempotency keys). */
export function resultOf(event_id: string, siblings: readonly DeliveryRecord[]): SendResult {
  return {
    event_id,
    targets: siblings.map((r) => r.agent),
    deliveries: siblings.map((r) => ({ name: r.agent, delivery_id: r.delivery_id })),
    duplicate: false
  }
}

/** A delivery to an agent on another node, as stored in the team's stream. */
export function toRemote(r: DeliveryRecord, origin: string): RemoteDelivery {
  return { delivery_id: r.delivery_id, event_id: r.event_id, agent: r.agent, from: r.from, to: r.to, body: r.body, thread_id: r.thread_id, priority: r.priority, injection_mode: r.injection_mode, deadline_ms: r.deadline_ms, node: r.node!, origin }
}

/** The fields of a local delivery record for a delivery received from another node. */
export function fromRemote(d: RemoteDelivery) {
  return { event_id: d.event_id, agent: d.agent, from: d.from, to: d.to, body: d.body, thread_id: d.thread_id, priority: d.priority, injection_mode: d.injection_mode, deadline_ms: d.deadline_ms }
}

