/**
 * What a hub asks of the broker it serves (HubHost), done with the runtime: take deliveries from
 * other nodes into mailboxes, apply stages reported back, end deliveries no node took in time,
 * describe local agents for the directory, and run fleet operations asked by other nodes.
 */
import { acceptRemote, applyRemoteStage } from '../supervisor/delivery/remote.js'
import type { AgentInfo, FleetCall, FleetReply, HubHost, RemoteDelivery, StageReport } from '../hub/types.js'
import type { Broker } from '../supervisor/broker.js'

/**
 * After a remote delivery's deadline, how long the sending node waits for the hosting node's own
 * verdict before it dead-letters the delivery itself (the hosting node is down or cut off).
 */
export const REMOTE_REPORT_GRACE_MS = 10_000
/** Stages reached this recently are reported again after a restart (a report may have been lost). */
export const STAGE_REPLAY_WINDOW_MS = 3_600_000
/** Event ids remembered to announce a message with several recipients here once. */
const SEEN_EVENTS_MAX = 2_000

export class RuntimeHubHost implements HubHost {
  readonly #rt: Broker
  readonly #serve: (call: FleetCall) => Promise<FleetReply>
  readonly #seenEvents = new Set<string>()

  constructor(rt: Broker, serve: (call: FleetCall) => Promise<FleetReply>) {
    this.#rt = rt
    this.#serve = serve
  }

  acceptRemote(d: RemoteDelivery): void {
    const rec = acceptRemote(this.#rt.messaging, d)
    if (!rec || this.#seenEvents.has(d.event_id)) return
    this.#seenEvents.add(d.event_id)
    if (this.#seenEvents.size > SEEN_EVENTS_MAX) this.#seenEvents.delete(this.#seenEvents.values().next().value!)
    // This node's history and /ws see the message like a local send (threads span nodes this way).
    this.#rt.emit({ kind: 'relay_inbound', event_id: d.event_id, from: d.from, target: d.to, body: d.body, thread_id: d.thread_id, workspace_id: 'local', workspace_alias: null, origin: d.origin })
  }

  applyRemoteStage(r: StageReport): void {
    applyRemoteStage(this.#rt.messaging, r)
  }

  expireOutbound(nowMs: number, nodeAlive: (node: string) => boolean): void {
    const late = [...this.#rt.deliveries.openRecords()].filter((r) => r.node !== undefined && r.stage === 'accepted' && nowMs > r.deadline_ms + REMOTE_REPORT_GRACE_MS)
    for (const rec of late) {
      const why = nodeAlive(rec.node!) ? `node ${rec.node} did not report taking it` : `node ${rec.node} is gone`
      this.#rt.messaging.deadLetter(rec, `${why}: not typed before its deadline`)
    }
  }

  inboundStages(): { origin: string; report: StageReport }[] {
    const since = Date.now() - STAGE_REPLAY_WINDOW_MS
    const out: { origin: string; report: StageReport }[] = []
    for (const rec of this.#rt.deliveries.retained()) {
      const last = rec.history[rec.history.length - 1]
      if (rec.origin === undefined || rec.stage === 'accepted' || !last || last.at < since) continue
      out.push({ origin: rec.origin, report: { delivery_id: rec.delivery_id, stage: rec.stage, reason: rec.reason, at: last.at, node: this.#rt.hub.node } })
    }
    return out
  }

  agentInfo(name: string): AgentInfo {
    const h = this.#rt.agents.get(name)?.handle
    if (!h) return { cli: null, runtime: null, pid: null, inject_timeout_secs: null }
    return { cli: h.spec.cli ?? null, runtime: h.spec.runtime ?? null, pid: h.pid ?? null, inject_timeout_secs: h.spec.inject_timeout_secs ?? null }
  }

  serve(call: FleetCall): Promise<FleetReply> {
    return this.#serve(call)
  }
}
