/**
 * The return path of a child's frames: the handle decodes a frame and hands it to this table,
 * which sends it to the one part that owns it — delivery frames to the delivery engine, agent
 * state to the agent registry and the event stream. One handler per frame type; the type of the
 * table makes a new frame type without a handler a compile error (docs/architecture.md, code map).
 */
import type { Logger } from 'pino'
import type { WorkerToBrokerFrame } from '../../protocol/frames.js'
import type { BrokerEvent } from '../../protocol/events.js'
import type { WorkerHandle } from './handle.js'

/** What the supervisor keeps of an agent between frames (agents/registry.ts `AgentEntry` has these). */
export interface AgentActivity {
  lastActivityAt: number
  idle: boolean
  /** Why the CLI cannot take input (login wall); cleared when it is ready. */
  blockedReason?: string | null
}

/** The owners of what children report (runtime.ts wires them). */
export interface FrameOwners {
  readonly agents: ReadonlyMap<string, AgentActivity>
  readonly log: Pick<Logger, 'info' | 'warn'>
  emit(event: BrokerEvent): void
  /** The agent's child started its CLI: its pid goes into the state record. */
  saveState(): void
  /** The session id the agent was spawned with (reported with `worker_ready`). */
  sessionOf(name: string): string | undefined
  /** Delivery frames go to the delivery engine. */
  onDeliveryFrame(name: string, frame: Extract<WorkerToBrokerFrame, { type: DeliveryFrameType }>): void
}

export type DeliveryFrameType = 'delivery_queued' | 'delivery_injecting' | 'delivery_injected' | 'delivery_verified' | 'delivery_failed'

type FrameOf<T extends WorkerToBrokerFrame['type']> = Extract<WorkerToBrokerFrame, { type: T }>
type Handler<T extends WorkerToBrokerFrame['type']> = (o: FrameOwners, h: WorkerHandle, frame: FrameOf<T>, entry: AgentActivity | undefined) => void
type Table = { [T in WorkerToBrokerFrame['type']]: Handler<T> }

const toDeliveryEngine = (o: FrameOwners, h: WorkerHandle, frame: FrameOf<DeliveryFrameType>): void => o.onDeliveryFrame(h.name, frame)
/** Frames that need nothing here (see the comment at each use). */
const ignore = (): void => {}

const TABLE: Table = {
  worker_stream: (o, h, f, entry) => {
    if (entry) {
      entry.lastActivityAt = Date.now()
      entry.idle = false
    }
    const p = f.payload
    o.emit({ kind: 'worker_stream', name: h.name, stream: p.stream, chunk: p.chunk, ...(p.event_type ? { event_type: p.event_type } : {}) })
  },
  worker_started: (o) => o.saveState(),
  worker_ready: (o, h, f, entry) => {
    o.log.info({ agent: h.name, reason: f.payload.reason }, 'agent ready')
    if (entry) entry.blockedReason = null
    o.emit({
      kind: 'worker_ready',
      name: h.name,
      runtime: f.payload.runtime,
      reason: f.payload.reason ?? null,
      provider: h.spec.provider ?? null,
      cli: h.spec.cli,
      model: h.spec.model ?? null,
      sessionId: o.sessionOf(h.name),
      pid: h.pid ?? undefined
    })
  },
  delivery_queued: toDeliveryEngine,
  delivery_injecting: toDeliveryEngine,
  delivery_injected: toDeliveryEngine,
  delivery_verified: toDeliveryEngine,
  delivery_failed: toDeliveryEngine,
  // The child acks and verifies together on echo; the ack is reported with the verification.
  delivery_ack: ignore,
  delivery_active: (o, h, f) => o.emit({ kind: 'delivery_active', name: h.name, delivery_id: f.payload.delivery_id, event_id: f.payload.event_id, pattern: f.payload.pattern }),
  agent_idle: (o, h, f, entry) => {
    if (entry) entry.idle = true
    o.emit({ kind: 'agent_idle', name: h.name, idle_secs: f.payload.idle_secs, since: new Date(Date.now() - f.payload.idle_secs * 1000).toISOString() })
  },
  // Not forwarded: its reason goes into the one exit event that follows (`agent_exited.reason`) once
  // the restart policy has decided. A 9.x client takes the first exit event of either kind, so a
  // code-less `agent_exit` first would hide the code (docs/decisions.md).
  agent_exit: ignore,
  // The process exit that follows is the one place an exit is handled (agents/lifecycle.ts).
  worker_exited: ignore,
  worker_error: (o, h, f) => {
    o.log.warn({ agent: h.name, code: f.payload.code }, f.payload.message)
    o.emit({ kind: 'worker_error', name: h.name, code: f.payload.code, message: f.payload.message, error: f.payload })
  },
  // Answered during the adoption handshake, inside the handle (worker/handle.ts).
  worker_adopted: ignore,
  // Unsolicited replies (their request timed out): nothing to do.
  pong: ignore,
  snapshot_response: ignore,
  // Per-CLI profile facts (docs/clis.md): keys typed on the agent's behalf, or a login wall.
  auto_answered: (o, h, f) => o.emit({ kind: 'agent_auto_answered', name: h.name, answer: f.payload.answer, keys: f.payload.keys, rule: f.payload.rule }),
  worker_blocked: (o, h, f, entry) => {
    if (entry) entry.blockedReason = f.payload.reason
    o.log.warn({ agent: h.name, reason: f.payload.reason }, 'agent blocked')
    o.emit({ kind: 'agent_blocked', name: h.name, reason: f.payload.reason })
  },
  continuity_command: (o, h, f) => o.log.info({ agent: h.name, action: f.payload.action }, 'continuity command ignored (not supported yet)')
}

/** Routes one decoded frame of `handle`'s child to its owner. */
export function routeFrame(owners: FrameOwners, handle: WorkerHandle, frame: WorkerToBrokerFrame): void {
  const handler = TABLE[frame.type] as Handler<WorkerToBrokerFrame['type']>
  handler(owners, handle, frame, owners.agents.get(handle.name))
}
