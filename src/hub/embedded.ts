/** The default hub: in-process routing by agent name and `#channel`, zero set-up. */
import { HubUnavailableError, UnknownNodeError, type FleetAgent, type FleetCall, type FleetNode, type FleetReply, type Hub, type HubHost, type RemoteDelivery, type Route } from './types.js'

export function normalizeChannel(channel: string): string {
  const c = channel.trim()
  return c.startsWith('#') ? c : `#${c}`
}

export function directName(to: string): string {
  const t = to.trim()
  return (t.startsWith('@') ? t.slice(1) : t).toLowerCase()
}

export class EmbeddedHub implements Hub {
  readonly kind = 'embedded'
  readonly node: string
  #host: HubHost | null = null
  /** agent name → its channels as given (for listing). */
  readonly #channels = new Map<string, string[]>()
  /** normalised `#channel` → member agent names. */
  readonly #members = new Map<string, Set<string>>()
  /** lower-cased name → agent name. */
  readonly #byLowerName = new Map<string, string>()

  constructor(node = 'local') {
    this.node = node
  }

  join(agent: string, channels: readonly string[]): void {
    this.#byLowerName.set(agent.toLowerCase(), agent)
    this.setChannels(agent, channels)
  }

  leave(agent: string): void {
    this.setChannels(agent, [])
    this.#channels.delete(agent)
    this.#byLowerName.delete(agent.toLowerCase())
  }

  setChannels(agent: string, channels: readonly string[]): void {
    for (const old of this.#channels.get(agent) ?? []) {
      const key = normalizeChannel(old)
      const set = this.#members.get(key)
      set?.delete(agent)
      if (set && set.size === 0) this.#members.delete(key)
    }
    this.#channels.set(agent, [...channels])
    for (const ch of channels) {
      const key = normalizeChannel(ch)
      let set = this.#members.get(key)
      if (!set) this.#members.set(key, (set = new Set()))
      set.add(agent)
    }
  }

  channelsOf(agent: string): readonly string[] | undefined {
    return this.#channels.get(agent)
  }

  route(to: string, from: string): Route {
    const sender = directName(from.startsWith('human:') ? from.slice(6) : from)
    const target = to.trim()
    if (target.startsWith('#')) {
      const members = this.#members.get(normalizeChannel(target))
      const targets = members ? [...members].filter((n) => n.toLowerCase() !== sender).sort() : []
      return { kind: 'channel', targets }
    }
    const name = this.#byLowerName.get(directName(target))
    return { kind: 'direct', targets: name !== undefined && name.toLowerCase() !== sender ? [name] : [] }
  }

  /** Agent names known here (original spelling). */
  agents(): string[] {
    return [...this.#byLowerName.values()]
  }

  /** The agent's name as registered, looked up case-insensitively. */
  lookup(name: string): string | undefined {
    return this.#byLowerName.get(directName(name))
  }

  // ── one broker: nothing is remote ─────────────────────────────────────────

  available(): boolean {
    return true
  }

  forward(deliveries: readonly RemoteDelivery[]): Promise<void> {
    if (deliveries.length === 0) return Promise.resolve()
    return Promise.reject(new HubUnavailableError('this broker is not part of a team (no --nats)'))
  }

  reportStage(): void {}

  attach(host: HubHost): void {
    this.#host = host
  }

  start(): Promise<void> {
    return Promise.resolve()
  }

  close(): Promise<void> {
    return Promise.resolve()
  }

  fleet(): { agents: FleetAgent[]; nodes: FleetNode[] } {
    const agents = this.agents()
      .sort()
      .map((name) => ({ name, node: this.node, channels: [...(this.#channels.get(name) ?? [])], ...(this.#host?.agentInfo(name) ?? { cli: null, runtime: null, pid: null, inject_timeout_secs: null }), updated_at: Date.now(), node_alive: true }))
    return { agents, nodes: [{ node: this.node, alive: true, last_seen_ms_ago: 0, url: null, self: true }] }
  }

  call(node: string, _call: FleetCall): Promise<FleetReply> {
    return Promise.reject(new UnknownNodeError(node))
  }
}
