/**
 * Deliveries that cross nodes (a team on NATS, docs/fleet.md): those sent from here to an agent
 * elsewhere are stored in the team's stream, those sent from elsewhere to an agent here are
 * journaled and admitted like local ones, and stages reached elsewhere come back as reports.
 */
import type { RemoteDelivery, StageReport } from '../../hub/types.js'
import type { DeliveryRecord } from './tracker.js'
import { fromRemote } from './types.js'
import type { DeliveryEngine } from './engine.js'

/** A delivery another node accepted for an agent here; returns once it is journaled. */
export function acceptRemote(engine: DeliveryEngine, d: RemoteDelivery): DeliveryRecord | null {
  const { deliveries, recipients, hub } = engine.ports
  if (deliveries.get(d.delivery_id)) return null // taken before (a redelivery after a crash)
  const rec = deliveries.create({ ...fromRemote(d), idempotency_key: null, origin: d.origin }, d.delivery_id)
  engine.journal?.created([rec])
  if (!recipients.has(d.agent)) engine.deadLetter(rec, `agent "${d.agent}" is not on node ${hub.node}`)
  else if (d.deadline_ms <= Date.now()) engine.deadLetter(rec, `its deadline passed before node ${hub.node} could take it`)
  else engine.admit(rec)
  engine.pump(rec.agent)
  return rec
}

/** A stage reached on the node hosting the agent of a delivery sent from here. */
export function applyRemoteStage(engine: DeliveryEngine, r: StageReport): void {
  const rec = engine.ports.deliveries.get(r.delivery_id)
  if (!rec || rec.node === undefined) return
  if (r.stage === 'queued' || r.stage === 'injected') {
    const ok = engine.advance(rec.delivery_id, r.stage, rec.agent)
    if (ok) engine.ports.emit({ kind: `delivery_${r.stage}`, name: rec.agent, delivery_id: rec.delivery_id, event_id: rec.event_id, timestamp: r.at })
  } else if (r.stage === 'verified') engine.verified(rec.delivery_id, rec.agent, 'echo')
  else if (r.stage === 'failed') engine.fail(rec.delivery_id, r.reason ?? `failed on node ${r.node}`)
  else engine.deadLetter(rec, r.reason ?? `dead-lettered on node ${r.node}`)
}
