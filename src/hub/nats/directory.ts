/**
 * The team's directory in two KV buckets: which node hosts which agent (with its channels), and
 * each node's heartbeat. Every broker watches both buckets and keeps a copy in memory, so routing
 * never waits on the network. A node is alive while its heartbeat keeps arriving: one that stops
 * (crash, network cut) is seen as gone NODE_GONE_AFTER_MS after its last heartbeat; one that
 * shuts down cleanly deletes its key and is gone at once. Liveness is measured on this broker's
 * clock (when the update arrived), so clock skew between hosts does not matter.
 */
import type { Logger } from 'pino'
import type { KV, KvEntry, KvWatchEntry } from '@nats-io/kv'
import { agentKey, nodeKey } from './names.js'
import { agentEntrySchema, decode, nodeEntrySchema, type AgentEntry, type NodeEntry } from './wire.js'

/** How often a node writes its heartbeat. */
export const NODE_HEARTBEAT_MS = 2_000
/** A node whose heartbeat has not arrived for this long is gone. */
export const NODE_GONE_AFTER_MS = 6_000

interface Seen<T> {
  value: T | null
  revision: number
  /** Local epoch ms when this broker saw the write. */
  seenAt: number
}

const encoder = new TextEncoder()

export class Directory {
  readonly #agents: KV
  readonly #nodes: KV
  readonly #self: string
  #url: string | null
  readonly #log: Logger
  readonly #startedAt = Date.now()
  readonly #agentMap = new Map<string, Seen<AgentEntry>>()
  readonly #nodeMap = new Map<string, Seen<NodeEntry>>()
  /** lower-cased agent name → directory key. */
  readonly #byLower = new Map<string, string>()
  readonly #watchers: { stop(): void }[] = []
  #timer: NodeJS.Timeout | null = null

  constructor(agents: KV, nodes: KV, self: string, url: string | null, log: Logger) {
    this.#agents = agents
    this.#nodes = nodes
    this.#self = self
    this.#url = url
    this.#log = log
  }

  setUrl(url: string): void {
    this.#url = url
  }

  /** Loads both buckets, then follows their changes and starts this node's heartbeat. */
  async start(onBeat: () => void): Promise<void> {
    await this.heartbeat()
    await this.#follow(this.#agents, (e) => this.#applyAgent(e))
    await this.#follow(this.#nodes, (e) => this.#applyNode(e))
    this.#timer = setInterval(() => {
      void this.heartbeat()
      onBeat()
    }, NODE_HEARTBEAT_MS)
    this.#timer.unref()
  }

  async heartbeat(): Promise<void> {
    const entry: NodeEntry = { node: this.#self, url: this.#url, at: Date.now(), started_at: this.#startedAt }
    try {
      await this.#nodes.put(nodeKey(this.#self), encoder.encode(JSON.stringify(entry)))
    } catch (err) {
      this.#log.debug({ err }, 'node heartbeat not written')
    }
  }

  /** Writes (or rewrites) a local agent's entry. */
  async putAgent(entry: AgentEntry): Promise<void> {
    await this.#agents.put(agentKey(entry.name), encoder.encode(JSON.stringify(entry)))
  }

  async deleteAgent(name: string): Promise<void> {
    await this.#agents.delete(agentKey(name))
  }

  /** The entry of an agent by name (case-insensitive), if any node has it. */
  agent(name: string): AgentEntry | null {
    const key = this.#byLower.get(name.toLowerCase())
    return key ? (this.#agentMap.get(key)?.value ?? null) : null
  }

  agents(): AgentEntry[] {
    const out: AgentEntry[] = []
    for (const s of this.#agentMap.values()) if (s.value) out.push(s.value)
    return out
  }

  /** Ms since the node's last heartbeat reached this broker (Infinity: never, or it left). */
  sinceSeen(node: string, now = Date.now()): number {
    if (node === this.#self) return 0
    const s = this.#nodeMap.get(node)
    return s?.value ? now - s.seenAt : Infinity
  }

  alive(node: string, now = Date.now()): boolean {
    return this.sinceSeen(node, now) < NODE_GONE_AFTER_MS
  }

  nodes(): { node: string; url: string | null }[] {
    const out = new Map<string, string | null>([[this.#self, this.#url]])
    for (const [node, s] of this.#nodeMap) if (s.value) out.set(node, s.value.url)
    for (const a of this.agents()) if (!out.has(a.node)) out.set(a.node, null)
    return [...out].map(([node, url]) => ({ node, url }))
  }

  /** Stops following; `leave` also removes this node's heartbeat (others see it gone at once). */
  async close(leave: boolean): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    for (const w of this.#watchers) w.stop()
    if (leave) await this.#nodes.delete(nodeKey(this.#self)).catch(() => undefined)
  }

  async #follow(kv: KV, apply: (e: KvEntry | KvWatchEntry, initial: boolean) => void): Promise<void> {
    const watcher = await kv.watch({ key: '>' })
    this.#watchers.push(watcher)
    // The current values, read directly so routing is right from the first message on.
    for await (const key of await kv.keys()) {
      const e = await kv.get(key)
      if (e) apply(e, true)
    }
    void (async () => {
      try {
        for await (const e of watcher) apply(e, false)
      } catch (err) {
        this.#log.warn({ err }, 'directory watch ended')
      }
    })()
  }

  #applyAgent(e: KvEntry | KvWatchEntry): void {
    const old = this.#agentMap.get(e.key)
    if (old && old.revision >= e.revision) return
    const value = e.operation === 'PUT' ? decode(agentEntrySchema, e.value) : null
    if (old?.value) this.#byLower.delete(old.value.name.toLowerCase())
    this.#agentMap.set(e.key, { value, revision: e.revision, seenAt: Date.now() })
    if (value) this.#byLower.set(value.name.toLowerCase(), e.key)
  }

  #applyNode(e: KvEntry | KvWatchEntry, initial = false): void {
    const node = e.key.slice(2)
    const old = this.#nodeMap.get(node)
    if (old && old.revision >= e.revision) return
    const value = e.operation === 'PUT' ? decode(nodeEntrySchema, e.value) : null
    // A value read at start-up was written at `created` (the server's clock); later ones arrive as written.
    const seenAt = initial ? Math.min(Date.now(), e.created.getTime()) : Date.now()
    this.#nodeMap.set(node, { value, revision: e.revision, seenAt })
  }
}
