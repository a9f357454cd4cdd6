/**
 * Every event the broker publishes on `/ws` (and hands to listeners inside the supervisor): one
 * closed union, like the frames in frames.ts. The supervisor builds events as plain objects typed
 * by `BrokerEvent` (no parse on the hot path); tests parse what a running broker sent with
 * `brokerEventSchema` (strict objects: an unexpected or missing field fails). The field names are
 * the ones the published SDK clients read (docs/api-agents.md, docs/delivery.md).
 */
import * as z from 'zod'
import { EPHEMERAL_KINDS } from './event-kinds.js'
export { EPHEMERAL_KINDS, eventAgent } from './event-kinds.js'

const agent = { name: z.string() }
const delivery = { name: z.string(), delivery_id: z.string(), event_id: z.string() }
const errorInfo = z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).passthrough()

const ev = <K extends string, S extends z.ZodRawShape>(kind: K, shape: S) => z.object({ kind: z.literal(kind), ...shape }).strict()

export const brokerEventSchema = z.discriminatedUnion('kind', [
  // ── agents ───────────────────────────────────────────────────────────────
  ev('agent_spawned', {
    ...agent,
    runtime: z.enum(['pty', 'headless']),
    provider: z.string().nullable(),
    cli: z.string().nullable(),
    model: z.string().nullable(),
    pid: z.number().int(),
    sessionId: z.string().optional(),
    source: z.string(),
    pre_registered: z.boolean(),
    registration_warning: z.string().nullable()
  }),
  ev('worker_ready', {
    ...agent,
    runtime: z.enum(['pty', 'headless']),
    reason: z.string().nullable().optional(),
    provider: z.string().nullable(),
    cli: z.string().nullable(),
    model: z.string().nullable(),
    sessionId: z.string().optional(),
    pid: z.number().int().optional()
  }),
  ev('worker_stream', { ...agent, stream: z.string(), chunk: z.string(), event_type: z.string().optional() }),
  ev('worker_error', { ...agent, code: z.string(), message: z.string(), error: errorInfo }),
  ev('agent_idle', { ...agent, idle_secs: z.number(), since: z.string() }),
  ev('agent_blocked', { ...agent, reason: z.string() }),
  ev('agent_auto_answered', { ...agent, answer: z.string(), keys: z.string(), rule: z.string() }),
  ev('agent_restarting', { ...agent, code: z.number().nullable(), signal: z.string().nullable(), restart_count: z.number().int(), delay_ms: z.number() }),
  ev('agent_restarted', { ...agent, restart_count: z.number().int(), pid: z.number().int() }),
  ev('agent_exited', { ...agent, code: z.number().nullable(), signal: z.string().nullable(), reason: z.string() }),
  ev('agent_released', agent),
  ev('agent_permanently_dead', { ...agent, reason: z.string() }),
  ev('agent_adopted', { ...agent, pid: z.number().int(), cli_pid: z.number().int(), downtime_ms: z.number() }),
  ev('agent_result', { ...agent, result_id: z.string(), data: z.unknown(), final: z.boolean(), metadata: z.unknown().optional() }),
  ev('agent_inbound_delivery_mode_changed', { ...agent, previous_mode: z.string(), mode: z.string() }),
  ev('agent_pending_drained', { ...agent, count: z.number().int(), reason: z.string() }),
  ev('channel_subscribed', { ...agent, channels: z.array(z.string()) }),
  ev('channel_unsubscribed', { ...agent, channels: z.array(z.string()) }),
  // ── messages and deliveries ─────────────────────────────────────────────
  ev('relay_inbound', {
    event_id: z.string(),
    from: z.string(),
    target: z.string(),
    body: z.string(),
    thread_id: z.string().nullable(),
    workspace_id: z.string(),
    workspace_alias: z.string().nullable(),
    origin: z.string().optional()
  }),
  ev('delivery_accepted', { ...delivery, from: z.string(), to: z.string(), priority: z.number(), node: z.string().optional() }),
  ev('delivery_queued', {
    ...delivery,
    timestamp: z.number().optional(),
    from: z.string().optional(),
    target: z.string().optional(),
    reason: z.string().optional()
  }),
  ev('delivery_injecting', { ...delivery, pending_bytes: z.number(), timestamp: z.number() }),
  ev('delivery_injected', { ...delivery, timestamp: z.number() }),
  ev('delivery_active', { ...delivery, pattern: z.string() }),
  ev('delivery_ack', { ...delivery, timestamp: z.number() }),
  ev('delivery_verified', { ...delivery, verification: z.enum(['echo', 'provider']) }),
  ev('delivery_read_ack', { ...delivery, status: z.literal('marked') }),
  ev('delivery_retry', { ...delivery, attempts: z.number().int() }),
  ev('delivery_failed', { ...delivery, reason: z.string() }),
  ev('delivery_dead_lettered', { ...delivery, reason: z.string() }),
  ev('delivery_dropped', { ...agent, count: z.number().int(), reason: z.string(), delivery_id: z.string().optional() }),
  ev('message_delivery_confirmed', { ...delivery, from: z.string(), to: z.string() }),
  ev('message_delivery_failed', { ...delivery, from: z.string(), to: z.string(), attempts: z.number().int(), lastError: z.string() }),
  // ── the broker ───────────────────────────────────────────────────────────
  ev('broker_handover', { agents: z.array(z.string()) })
])

export type BrokerEvent = z.infer<typeof brokerEventSchema>
export type BrokerEventKind = BrokerEvent['kind']
/** The event of one kind, e.g. `EventOf<'delivery_verified'>`. */
export type EventOf<K extends BrokerEventKind> = Extract<BrokerEvent, { kind: K }>

/** Sent on `/ws` only, to one client whose `sinceSeq` is older than the replay ring holds. */
export const replayGapSchema = z
  .object({ kind: z.literal('replay_gap'), requestedSinceSeq: z.number(), oldestAvailable: z.number().nullable(), seq: z.number() })
  .strict()

/**
 * Checks one message a `/ws` client received: a replay gap, or a broker event carrying its `seq`
 * (absent on ephemeral kinds). Throws a ZodError naming what does not match.
 */
export function parseWsMessage(value: unknown): BrokerEvent | z.infer<typeof replayGapSchema> {
  if (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'replay_gap') return replayGapSchema.parse(value)
  const { seq, ...event } = value as Record<string, unknown>
  if (seq !== undefined) z.number().int().positive().parse(seq)
  else if (!EPHEMERAL_KINDS.has(String(event.kind))) throw new Error(`event ${String(event.kind)} arrived without a seq`)
  return brokerEventSchema.parse(event)
}
