/** What travels over NATS, checked with zod when it arrives (another node may run another version). */
import * as z from 'zod'
import type { FleetCall, RemoteDelivery, StageReport } from '../types.js'

export const remoteDeliverySchema = z.object({
  delivery_id: z.string().min(1),
  event_id: z.string(),
  agent: z.string().min(1),
  from: z.string(),
  to: z.string(),
  body: z.string(),
  thread_id: z.string().nullable(),
  priority: z.number().int(),
  injection_mode: z.enum(['wait', 'steer']),
  deadline_ms: z.number(),
  node: z.string(),
  origin: z.string()
}) satisfies z.ZodType<RemoteDelivery>

export const stageReportSchema = z.object({
  delivery_id: z.string().min(1),
  stage: z.enum(['queued', 'injecting', 'injected', 'verified', 'failed', 'dead_lettered']),
  reason: z.string().nullable(),
  at: z.number(),
  node: z.string()
}) satisfies z.ZodType<StageReport>

export const fleetCallSchema = z.object({
  op: z.enum(['spawn', 'release', 'snapshot']),
  body: z.unknown().optional(),
  name: z.string().optional(),
  format: z.string().optional()
}) satisfies z.ZodType<FleetCall>

export const fleetReplySchema = z.object({ status: z.number().int(), body: z.unknown() })

/** A directory entry for an agent (KV `relay_<team>_agents`). */
export const agentEntrySchema = z.object({
  name: z.string(),
  node: z.string(),
  channels: z.array(z.string()),
  cli: z.string().nullable(),
  runtime: z.string().nullable(),
  pid: z.number().nullable(),
  inject_timeout_secs: z.number().nullable().default(null),
  updated_at: z.number()
})
export type AgentEntry = z.infer<typeof agentEntrySchema>

/** A node's heartbeat (KV `relay_<team>_nodes`). */
export const nodeEntrySchema = z.object({ node: z.string(), url: z.string().nullable(), at: z.number(), started_at: z.number() })
export type NodeEntry = z.infer<typeof nodeEntrySchema>

const decoder = new TextDecoder()

/** Parses a JSON payload with a schema; null (and no throw) when it does not fit. */
export function decode<T>(schema: z.ZodType<T>, data: Uint8Array): T | null {
  try {
    const r = schema.safeParse(JSON.parse(decoder.decode(data)))
    return r.success ? r.data : null
  } catch {
    return null
  }
}
