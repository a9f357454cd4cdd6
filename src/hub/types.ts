/** A message as it travels through a hub, before it becomes per-agent deliveries. */
export { HubUnavailableError, UnknownNodeError } from '../errors/index.js'
export interface HubMessage {
  event_id: string
  from: string
  /** The target exactly as the sender wrote it (`name`, `@name` or `#channel`). */
  to: string
  body: string
  thread_id: string | null
  injection_mode: 'wait' | 'steer'
  priority: number
}

export type RouteKind = 'direct' | 'channel'

export interface Route {
  kind: RouteKind
  /** Agent names that receive the message (the sender excluded), on this node and others. */
  targets: string[]
  /** The targets hosted by another node, by agent name (absent or empty: all local). */
  remote?: ReadonlyMap<string, RemoteTarget>
}

/** Where a recipient on another node lives, and its own typing deadline (`inject_timeout_secs`). */
export interface RemoteTarget {
  node: string
  inject_timeout_secs: number | null
}

/** One delivery to an agent on another node, as it is stored in the team's delivery stream. */
export interface RemoteDelivery extends HubMessage {
  delivery_id: string
  agent: string
  /** Epoch ms after which the delivery must not be typed any more. */
  deadline_ms: number
  /** The node hosting the agent. */
  node: string
  /** The node that accepted the send (stages flow back to it). */
  origin: string
}

export type RemoteStage = 'queued' | 'injecting' | 'injected' | 'verified' | 'failed' | 'dead_lettered'

/** A stage a delivery reached on the node hosting its agent, reported to the node that sent it. */
export interface StageReport {
  delivery_id: string
  stage: RemoteStage
  reason: string | null
  /** Epoch ms on the reporting node. */
  at: number
  /** The reporting node. */
  node: string
}

/** One agent in the team's directory. */
export interface FleetAgent {
  name: string
  node: string
  channels: string[]
  cli: string | null
  runtime: string | null
  pid: number | null
  inject_timeout_secs: number | null
  /** Epoch ms of the entry's last write (the hosting node's clock). */
  updated_at: number
  /** False once the hosting node's heartbeat stopped (NODE_GONE_AFTER_MS). */
  node_alive: boolean
}

export interface FleetNode {
  node: string
  alive: boolean
  /** Ms since this broker last saw the node's heartbeat. */
  last_seen_ms_ago: number
  url: string | null
  self: boolean
}

/** A fleet operation asked of another node (spawn, release, snapshot). */
export interface FleetCall {
  op: 'spawn' | 'release' | 'snapshot'
  /** The spawn request body (as for `POST /api/spawn`). */
  body?: unknown
  name?: string
  format?: string
}

/** The answer of a fleet operation: an HTTP status and body, as the local route would give. */
export interface FleetReply {
  status: number
  body: unknown
}

/** What the directory shows of a local agent. */
export interface AgentInfo {
  cli: string | null
  runtime: string | null
  pid: number | null
  inject_timeout_secs: number | null
}

/** What a hub needs from the broker it serves (given once, by `attach`). */
export interface HubHost {
  /** Takes a delivery from another node into the agent's mailbox; returns once it is journaled. */
  acceptRemote(d: RemoteDelivery): void
  /** A delivery this node sent moved on the node hosting its agent. */
  applyRemoteStage(r: StageReport): void
  /** Deliveries this node sent that no node took in time end as dead letters. */
  expireOutbound(nowMs: number, nodeAlive: (node: string) => boolean): void
  /** The newest stage of every delivery received from other nodes (re-reported after a restart). */
  inboundStages(): { origin: string; report: StageReport }[]
  /** Details of a local agent for the directory. */
  agentInfo(name: string): AgentInfo
  /** Runs a fleet operation asked by another node. */
  serve(call: FleetCall): Promise<FleetReply>
}

/**
 * A message hub: knows which agents exist and which channels they are in, and resolves a target
 * to recipients. The embedded hub does it in-process; the NATS hub spans the brokers of a team.
 */
export interface Hub {
  readonly kind: 'embedded' | 'nats'
  /** This broker's node id (the broker name for the embedded hub). */
  readonly node: string
  join(agent: string, channels: readonly string[]): void
  leave(agent: string): void
  setChannels(agent: string, channels: readonly string[]): void
  channelsOf(agent: string): readonly string[] | undefined
  route(to: string, from: string): Route
  /** True while deliveries to other nodes can be stored. */
  available(): boolean
  /** Stores deliveries for agents on other nodes; resolves once the store has them all. */
  forward(deliveries: readonly RemoteDelivery[]): Promise<void>
  /** A delivery received from `origin` reached a stage here. */
  reportStage(origin: string, report: StageReport): void
  /** Connects the hub to the broker it serves; `start` then begins taking remote work. */
  attach(host: HubHost): void
  /** `url`: this broker's API, shown to the other nodes. */
  start(url: string): Promise<void>
  close(): Promise<void>
  /** Every agent of the team (this node's included) and the nodes. */
  fleet(): { agents: FleetAgent[]; nodes: FleetNode[] }
  /** Asks `node` to run a fleet operation. */
  call(node: string, call: FleetCall): Promise<FleetReply>
}
