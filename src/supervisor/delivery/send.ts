/**
 * `/api/send` on the delivery engine (engine.ts): idempotency keys, routing to local agents and to
 * other nodes, one journaled delivery per recipient. The journal's fdatasync for the creations runs
 * off the loop and is shared by the sends of the same moment (journal.ts, group commit); the answer
 * waits for it, so every 200 is on disk.
 */
import type { RemoteTarget } from '../../hub/types.js'
import type { DedupCache } from './dedup-cache.js'
import { InFlight } from './dedup-cache.js'
import type { DeliveryPorts } from './ports.js'
import { newId, type DeliveryRecord } from './tracker.js'
import { NoRecipientError, toRemote, type Message, type SendRequest, type SendResult } from './types.js'

/** What a send needs of the engine. */
export interface SendHost {
  readonly ports: DeliveryPorts
  acceptDurably(targets: readonly string[], msg: Message, remote: ReadonlyMap<string, RemoteTarget>): Promise<DeliveryRecord[]>
  deadLetter(rec: DeliveryRecord, reason: string): void
  pump(agent: string): void
  normalizeSender(from: string | null): string
}

export class Sender {
  readonly #host: SendHost
  readonly #dedup: DedupCache<SendResult>
  /** Sends with an idempotency key whose deliveries are not on disk yet. */
  readonly #sending = new InFlight<SendResult>()

  constructor(host: SendHost, dedup: DedupCache<SendResult>) {
    this.#host = host
    this.#dedup = dedup
  }

  send(req: SendRequest): Promise<SendResult> {
    const key = req.idempotency_key
    const earlier = key ? this.#dedup.get(key) : undefined
    if (earlier) return Promise.resolve({ ...earlier, duplicate: true })
    // A second send with the key of one still being journaled is that one's duplicate.
    return key ? this.#sending.once(key, () => this.#send(req), (r) => ({ ...r, duplicate: true })) : this.#send(req)
  }

  async #send(req: SendRequest): Promise<SendResult> {
    const { ports } = this.#host
    const from = this.#host.normalizeSender(req.from)
    const to = req.to.trim()
    const route = ports.hub.route(to, from)
    if (route.targets.length === 0) throw new NoRecipientError(to)
    const remote = route.remote ?? new Map<string, RemoteTarget>() // only agents elsewhere, server unreachable: refused now
    if (remote.size === route.targets.length && !ports.hub.available()) await ports.hub.forward([])
    const event_id = newId('http')
    const priority = req.priority ?? (route.kind === 'channel' ? 3 : 2)
    const msg: Message = { event_id, from, to, body: req.text, thread_id: req.thread_id, priority, injection_mode: req.mode, idempotency_key: req.idempotency_key ?? null }
    const recs = await this.#host.acceptDurably(route.targets, msg, remote)
    if (remote.size > 0) await this.#forward(recs.filter((r) => r.node !== undefined), recs.length)
    const result: SendResult = {
      event_id,
      targets: route.targets,
      deliveries: recs.map((r) => ({ name: r.agent, delivery_id: r.delivery_id })),
      duplicate: false
    }
    if (req.idempotency_key) this.#dedup.set(req.idempotency_key, result)
    ports.emit({ kind: 'relay_inbound', event_id, from, target: to, body: req.text, thread_id: req.thread_id, workspace_id: 'local', workspace_alias: null })
    for (const r of route.targets) if (!remote.has(r)) this.#host.pump(r)
    return result
  }

  /** Deliveries to other nodes, stored in the team's stream (else dead letters; all remote: the send is refused). */
  async #forward(out: DeliveryRecord[], total: number): Promise<void> {
    const { hub } = this.#host.ports
    try {
      await hub.forward(out.map((r) => toRemote(r, hub.node)))
    } catch (err) {
      for (const r of out) this.#host.deadLetter(r, `not stored for node ${r.node}: ${(err as Error).message}`)
      if (out.length === total) throw err
    }
  }
}
