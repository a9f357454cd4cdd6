/** Sending: a message becomes one delivery per recipient, each tracked to a terminal stage. */
import { newId, type DeliveryRecord } from './delivery-tracker.js'
import type { BrokerRuntime } from './runtime.js'

export interface SendRequest {
  to: string
  text: string
  from: string | null
  thread_id: string | null
  mode: 'wait' | 'steer'
}

export interface SendResult {
  event_id: string
  targets: string[]
  deliveries: { name: string; delivery_id: string }[]
}

export class NoRecipientError extends Error {
  readonly code = 'agent_not_found'
  readonly to: string
  constructor(to: string) {
    super(
      to.startsWith('#')
        ? `Agent "${to}" not found: no agent is subscribed to ${to}`
        : `Agent "${to}" not found`
    )
    this.name = 'NoRecipientError'
    this.to = to
  }
}

export class Messaging {
  readonly rt: BrokerRuntime

  constructor(rt: BrokerRuntime) {
    this.rt = rt
  }

  send(req: SendRequest): SendResult {
    const from = this.normalizeSender(req.from)
    const to = req.to.trim()
    const route = this.rt.hub.route(to, from)
    if (route.targets.length === 0) throw new NoRecipientError(to)
    const event_id = newId('http')
    const priority = route.kind === 'channel' ? 3 : 2
    const deliveries: SendResult['deliveries'] = []
    for (const target of route.targets) {
      const rec = this.deliver(target, { event_id, from, to, body: req.text, thread_id: req.thread_id, priority, injection_mode: req.mode })
      deliveries.push({ name: target, delivery_id: rec.delivery_id })
    }
    this.rt.emit({
      kind: 'relay_inbound',
      event_id,
      from,
      target: to,
      body: req.text,
      thread_id: req.thread_id,
      workspace_id: 'local',
      workspace_alias: null
    })
    return { event_id, targets: route.targets, deliveries }
  }

  normalizeSender(from: string | null): string {
    const f = (from ?? '').trim()
    if (!f) return this.rt.config.name
    const lower = f.toLowerCase()
    if (lower === 'dashboard' || lower === 'human:dashboard' || lower === 'human:orchestrator' || lower === this.rt.config.name.toLowerCase()) {
      return this.rt.config.name
    }
    return f
  }

  deliver(agent: string, msg: Omit<DeliveryRecord, 'delivery_id' | 'stage' | 'reason' | 'created_at' | 'history' | 'agent'>): DeliveryRecord {
    const rec = this.rt.deliveries.create({ ...msg, agent })
    this.#sendToChild(rec)
    return rec
  }

  /** Marks a delivery failed and tells subscribers, in the SDK's two event forms. */
  fail(id: string, reason: string): void {
    const rec = this.rt.deliveries.advance(id, 'failed', reason)
    if (!rec) return
    this.rt.emit({ kind: 'delivery_failed', name: rec.agent, delivery_id: rec.delivery_id, event_id: rec.event_id, reason })
    this.rt.emit({
      kind: 'message_delivery_failed',
      name: rec.agent,
      delivery_id: rec.delivery_id,
      event_id: rec.event_id,
      from: rec.from,
      to: rec.to,
      attempts: 1,
      lastError: reason
    })
  }

  #sendToChild(rec: DeliveryRecord): void {
    this.rt.agents.get(rec.agent)?.handle.send('deliver_relay', {
      delivery_id: rec.delivery_id,
      event_id: rec.event_id,
      workspace_id: 'local',
      workspace_alias: null,
      from: rec.from,
      target: rec.to,
      body: rec.body,
      thread_id: rec.thread_id,
      priority: rec.priority,
      injection_mode: rec.injection_mode
    })
  }

  /** A child for `name` is up (first start or a restart): hand it the deliveries it should have. */
  onAgentStarted(name: string): void {
    const entry = this.rt.agents.get(name)
    if (!entry) return
    for (const rec of this.rt.deliveries.openFor(name)) this.#sendToChild(rec)
  }

  /**
   * The child for `name` is gone. `final` means no restart follows (released, permanently dead):
   * its open deliveries end now, with `reason`. Otherwise they wait for the next child.
   */
  onAgentDown(name: string, final: boolean, reason: string): void {
    if (!final) return
    for (const rec of this.rt.deliveries.openFor(name)) this.fail(rec.delivery_id, reason)
  }
}
