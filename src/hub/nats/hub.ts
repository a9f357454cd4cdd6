/**
 * The NATS hub: the brokers of a team share one NATS JetStream server. Local routing is the
 * embedded hub's; agents on other nodes come from the KV directory (directory.ts); deliveries to
 * them go through the DELIVER stream and their stages come back through STATUS (streams.ts);
 * spawn, release and snapshot on another node are requests on relay.<team>.fleet.<node>.
 */
import type { Logger } from 'pino'
import { connect, NoRespondersError, type NatsConnection, type Subscription } from '@nats-io/transport-node'
import { jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream'
import { Kvm } from '@nats-io/kv'
import { directName, EmbeddedHub, normalizeChannel } from '../embedded.js'
import {
  HubUnavailableError,
  type AgentInfo,
  type RemoteTarget,
  UnknownNodeError,
  type FleetAgent,
  type FleetCall,
  type FleetNode,
  type FleetReply,
  type Hub,
  type HubHost,
  type RemoteDelivery,
  type Route,
  type StageReport
} from '../types.js'
import { Directory } from './directory.js'
import { teamNames, type TeamNames } from './names.js'
import { connectionOptions, serverOf, type NatsSettings } from './options.js'
import { consumeDurable, ensureTeamStreams } from './streams.js'
import { decode, fleetCallSchema, fleetReplySchema, remoteDeliverySchema, stageReportSchema } from './wire.js'

/** Wait between reconnect attempts to the NATS server. */
export const NATS_RECONNECT_WAIT_MS = 250
/** How long a publish waits for the server's ack before the send is refused. */
export const PUBLISH_TIMEOUT_MS = 5_000
/** How long a fleet request (spawn, release, snapshot) waits for the other node. */
export const FLEET_CALL_TIMEOUT_MS = 20_000
/** How long the first connection may take at start-up. */
export const NATS_CONNECT_TIMEOUT_MS = 10_000

const NO_INFO: AgentInfo = { cli: null, runtime: null, pid: null, inject_timeout_secs: null }

export class NatsHub implements Hub {
  readonly kind = 'nats'
  readonly node: string
  readonly team: string
  readonly #settings: NatsSettings
  readonly #nc: NatsConnection
  readonly #js: JetStreamClient
  readonly #names: TeamNames
  readonly #dir: Directory
  readonly #log: Logger
  readonly #local: EmbeddedHub
  #host: HubHost | null = null
  #connected = true
  #closed = false
  readonly #consumers: ConsumerMessages[] = []
  #fleetSub: Subscription | null = null
  /** Stage reports not yet stored (the server was unreachable), by message id. */
  readonly #outbox = new Map<string, { origin: string; report: StageReport }>()
  /** Local agents whose directory entry still has to be written (or deleted). */
  readonly #dirty = new Set<string>()

  private constructor(settings: NatsSettings, nc: NatsConnection, js: JetStreamClient, dir: Directory, log: Logger) {
    this.#settings = settings
    this.node = settings.node
    this.team = settings.team
    this.#nc = nc
    this.#js = js
    this.#names = teamNames(settings.team)
    this.#dir = dir
    this.#log = log
    this.#local = new EmbeddedHub(settings.node)
  }

  /** Connects, creates the team's streams, consumers and buckets if missing. */
  static async connect(settings: NatsSettings, log: Logger): Promise<NatsHub> {
    const nc = await connect({ ...connectionOptions(settings, NATS_RECONNECT_WAIT_MS), timeout: NATS_CONNECT_TIMEOUT_MS })
    const names = teamNames(settings.team)
    const jsm = await jetstreamManager(nc)
    await ensureTeamStreams(jsm, names, settings.node)
    const js = jetstream(nc)
    const kvm = new Kvm(js)
    const agents = await kvm.create(names.agentsBucket, { history: 1 })
    const nodes = await kvm.create(names.nodesBucket, { history: 1 })
    const hub = new NatsHub(settings, nc, js, new Directory(agents, nodes, settings.node, null, log), log)
    hub.#followStatus()
    log.info({ server: serverOf(settings.url), team: settings.team, node: settings.node, version: nc.info?.version }, 'joined team over NATS')
    return hub
  }

  // ── local membership, mirrored into the directory ───────────────────────

  join(agent: string, channels: readonly string[]): void {
    this.#local.join(agent, channels)
    this.#publishAgent(agent)
  }

  leave(agent: string): void {
    this.#local.leave(agent)
    this.#publishAgent(agent)
  }

  setChannels(agent: string, channels: readonly string[]): void {
    this.#local.setChannels(agent, channels)
    this.#publishAgent(agent)
  }

  channelsOf(agent: string): readonly string[] | undefined {
    return this.#local.channelsOf(agent)
  }

  route(to: string, from: string): Route {
    const local = this.#local.route(to, from)
    const sender = directName(from.startsWith('human:') ? from.slice(6) : from)
    const target = to.trim()
    if (target.startsWith('#')) {
      const key = normalizeChannel(target)
      const remote = new Map<string, RemoteTarget>()
      for (const a of this.#dir.agents()) {
        if (a.node === this.node || a.name.toLowerCase() === sender || this.#local.lookup(a.name)) continue
        if (a.channels.some((c) => normalizeChannel(c) === key)) remote.set(a.name, { node: a.node, inject_timeout_secs: a.inject_timeout_secs })
      }
      return { kind: 'channel', targets: [...local.targets, ...remote.keys()].sort(), remote }
    }
    if (local.targets.length > 0 || this.#local.lookup(target)) return local
    const a = this.#dir.agent(directName(target))
    if (!a || a.node === this.node || a.name.toLowerCase() === sender) return local
    return { kind: 'direct', targets: [a.name], remote: new Map([[a.name, { node: a.node, inject_timeout_secs: a.inject_timeout_secs }]]) }
  }

  // ── cross-node delivery ────────────────────────────────────────────────

  available(): boolean {
    return this.#connected && !this.#closed
  }

  async forward(deliveries: readonly RemoteDelivery[]): Promise<void> {
    if (deliveries.length === 0) return
    if (!this.available()) throw this.#unavailable()
    try {
      await Promise.all(
        deliveries.map((d) => this.#js.publish(this.#names.deliverSubject(d.node), JSON.stringify(d), { msgID: d.delivery_id, timeout: PUBLISH_TIMEOUT_MS }))
      )
    } catch (err) {
      throw new HubUnavailableError(`not stored in the team's delivery stream: ${(err as Error).message}`)
    }
  }

  reportStage(origin: string, report: StageReport): void {
    const id = `${report.delivery_id}.${report.stage}`
    this.#outbox.set(id, { origin, report })
    if (this.available()) void this.#sendReport(id)
  }

  // ── life ───────────────────────────────────────────────────────────────

  attach(host: HubHost): void {
    this.#host = host
  }

  async start(url: string): Promise<void> {
    const host = this.#host
    if (!host) throw new Error('NatsHub.start before attach')
    this.#dir.setUrl(url)
    await this.#dir.start(() => this.#onBeat())
    // Entries of this node from an earlier run whose agents did not come back.
    for (const a of this.#dir.agents()) if (a.node === this.node && !this.#local.lookup(a.name)) this.#dirty.add(a.name)
    for (const name of this.#local.agents()) this.#dirty.add(name)
    this.#flushDirectory()
    // Stages of deliveries taken before a restart, in case their reports were lost with it.
    for (const { origin, report } of host.inboundStages()) this.reportStage(origin, report)
    const log = this.#log
    this.#consumers.push(
      await consumeDurable(this.#js, this.#names.deliverStream, this.#names.deliverConsumer(this.node), (m) => {
        const d = decode(remoteDeliverySchema, m.data)
        if (!d) {
          log.warn({ seq: m.seq }, 'malformed delivery in the team stream dropped')
          return true
        }
        host.acceptRemote(d)
        return true
      }, log),
      await consumeDurable(this.#js, this.#names.statusStream, this.#names.statusConsumer(this.node), (m) => {
        const r = decode(stageReportSchema, m.data)
        if (r) host.applyRemoteStage(r)
        return true
      }, log)
    )
    this.#fleetSub = this.#nc.subscribe(this.#names.fleetSubject(this.node), {
      callback: (err, msg) => {
        if (err) return
        const call = decode(fleetCallSchema, msg.data)
        const answer = call ? host.serve(call) : Promise.resolve({ status: 400, body: { code: 'invalid_request', message: 'malformed fleet call' } })
        void answer
          .catch((e: Error) => ({ status: 500, body: { code: 'internal_error', message: e.message } }))
          .then((reply) => msg.respond(JSON.stringify(reply)))
      }
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const c of this.#consumers) c.stop()
    this.#fleetSub?.unsubscribe()
    await this.#dir.close(true)
    await this.#nc.drain().catch(() => undefined)
  }

  // ── fleet ──────────────────────────────────────────────────────────────

  fleet(): { agents: FleetAgent[]; nodes: FleetNode[] } {
    const now = Date.now()
    const agents: FleetAgent[] = this.#dir
      .agents()
      .filter((a) => a.node !== this.node)
      .map((a) => ({ ...a, node_alive: this.#dir.alive(a.node, now) }))
    for (const name of this.#local.agents()) {
      const info = this.#host?.agentInfo(name) ?? NO_INFO
      agents.push({ name, node: this.node, channels: [...(this.#local.channelsOf(name) ?? [])], ...info, updated_at: now, node_alive: true })
    }
    agents.sort((a, b) => a.name.localeCompare(b.name))
    const nodes = this.#dir.nodes().map(({ node, url }) => {
      const since = this.#dir.sinceSeen(node, now)
      return { node, url, alive: this.#dir.alive(node, now), last_seen_ms_ago: Number.isFinite(since) ? since : -1, self: node === this.node }
    })
    return { agents, nodes: nodes.sort((a, b) => a.node.localeCompare(b.node)) }
  }

  async call(node: string, call: FleetCall): Promise<FleetReply> {
    if (!this.#dir.nodes().some((n) => n.node === node)) throw new UnknownNodeError(node)
    if (!this.available()) throw this.#unavailable()
    try {
      const m = await this.#nc.request(this.#names.fleetSubject(node), JSON.stringify(call), { timeout: FLEET_CALL_TIMEOUT_MS })
      const reply = decode(fleetReplySchema, m.data)
      if (!reply) throw new Error('malformed answer')
      return reply
    } catch (err) {
      if (err instanceof NoRespondersError || (err as Error).name === 'NoRespondersError') throw new HubUnavailableError(`node '${node}' does not answer: it is not running`)
      throw new HubUnavailableError(`node '${node}' did not answer: ${(err as Error).message}`)
    }
  }

  // ── internals ──────────────────────────────────────────────────────────

  #unavailable(): HubUnavailableError {
    return new HubUnavailableError(`the team's NATS server (${serverOf(this.#settings.url)}) is unreachable; cross-node delivery resumes when it is back`)
  }

  #followStatus(): void {
    void (async () => {
      for await (const s of this.#nc.status()) {
        if (s.type === 'disconnect') {
          this.#connected = false
          this.#log.warn({ server: serverOf(this.#settings.url) }, 'NATS connection lost; reconnecting')
        } else if (s.type === 'reconnect') {
          this.#connected = true
          this.#log.info('NATS connection back')
          for (const name of this.#local.agents()) this.#dirty.add(name)
          this.#onBeat()
        }
      }
    })()
  }

  #onBeat(): void {
    if (!this.available()) return
    this.#host?.expireOutbound(Date.now(), (node) => this.#dir.alive(node))
    this.#flushDirectory()
    for (const id of this.#outbox.keys()) void this.#sendReport(id)
  }

  #publishAgent(name: string): void {
    this.#dirty.add(name)
    if (this.available()) this.#flushDirectory()
  }

  #flushDirectory(): void {
    for (const name of [...this.#dirty]) {
      this.#dirty.delete(name)
      const channels = this.#local.channelsOf(name)
      const info = this.#host?.agentInfo(name) ?? NO_INFO
      const owner = this.#dir.agent(name)?.node
      const write = channels
        ? this.#dir.putAgent({ name, node: this.node, channels: [...channels], ...info, updated_at: Date.now() })
        : owner !== undefined && owner !== this.node
          ? Promise.resolve() // the name lives on another node now
          : this.#dir.deleteAgent(name)
      write.catch((err: Error) => {
        this.#log.debug({ err, agent: name }, 'directory entry not written yet')
        this.#dirty.add(name)
      })
    }
  }

  async #sendReport(id: string): Promise<void> {
    const item = this.#outbox.get(id)
    if (!item) return
    try {
      await this.#js.publish(this.#names.statusSubject(item.origin), JSON.stringify(item.report), { msgID: id, timeout: PUBLISH_TIMEOUT_MS })
      this.#outbox.delete(id)
    } catch (err) {
      this.#log.debug({ err, id }, 'stage report not stored yet')
    }
  }
}
