/** Request schemas at the edge (zod). Aliased fields are merged first: the first spelling present wins. */
import { z } from 'zod'
import type { SpawnRequest } from '../supervisor/agent-spec.js'
import type { SendRequest } from '../supervisor/messaging.js'
import { alias, ApiErrorFor, validate } from './validate.js'
import { applySpawnFields } from './spawn-fields.js'

const optString = z.string().nullable().optional()

const restartPolicyInput = z.object({
  enabled: z.boolean().optional(),
  max_restarts: z.number().int().nonnegative().optional(),
  cooldown_ms: z.number().int().nonnegative().optional(),
  max_consecutive_failures: z.number().int().nonnegative().optional()
})

const spawnSchema = z.object({
  name: z.string(),
  cli: z.string().default('claude'),
  runtime: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(['pty', 'headless'], { error: "unsupported transport (expected 'pty' or 'headless')" }))
    .default('pty'),
  model: optString,
  args: z.array(z.string()).default([]),
  task: optString,
  channels: z.array(z.string()).default([]),
  cwd: optString,
  team: optString,
  shadow_of: optString,
  shadow_mode: optString,
  idle_threshold_secs: z.number().int().nonnegative().nullable().optional(),
  verify_window_secs: z.number().positive().max(3600).nullable().optional(),
  inject_timeout_secs: z.number().positive().max(86_400).nullable().optional(),
  restart_policy: restartPolicyInput.nullable().optional(),
  agent_token: optString,
  skip_relay_prompt: z.boolean().nullable().optional()
})

export function parseSpawn(body: unknown): SpawnRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw ApiErrorFor.missing('A', 'Missing required field: name')
  }
  const b = body as Record<string, unknown>
  if (typeof b.name !== 'string' || b.name === '') throw ApiErrorFor.missing('A', 'Missing required field: name')
  const merged = {
    name: b.name,
    cli: b.cli,
    runtime: alias(b, 'transport', 'runtime'),
    model: b.model,
    args: b.args,
    task: b.task,
    channels: b.channels,
    cwd: b.cwd,
    team: b.team,
    shadow_of: alias(b, 'shadow_of', 'shadowOf'),
    shadow_mode: alias(b, 'shadow_mode', 'shadowMode'),
    idle_threshold_secs: alias(b, 'idle_threshold_secs', 'idleThresholdSecs'),
    verify_window_secs: alias(b, 'verify_window_secs', 'verifyWindowSecs'),
    inject_timeout_secs: alias(b, 'inject_timeout_secs', 'injectTimeoutSecs'),
    restart_policy: alias(b, 'restart_policy', 'restartPolicy'),
    agent_token: alias(b, 'agent_token', 'agentToken'),
    skip_relay_prompt: alias(b, 'skip_relay_prompt', 'skipRelayPrompt')
  }
  const v = validate(spawnSchema, merged, 'A')
  const task = v.task?.trim() ? v.task : null
  const rp = v.restart_policy
  return applySpawnFields(b, {
    name: v.name,
    cli: v.cli,
    runtime: v.runtime,
    args: v.args,
    channels: v.channels,
    model: v.model?.trim() ? v.model.trim() : null,
    task,
    cwd: v.cwd ?? null,
    team: v.team ?? null,
    shadow_of: v.shadow_of ?? null,
    shadow_mode: v.shadow_mode ?? null,
    idle_threshold_secs: v.idle_threshold_secs ?? null,
    verify_window_secs: v.verify_window_secs ?? null,
    inject_timeout_secs: v.inject_timeout_secs ?? null,
    agent_token: v.agent_token?.trim() ? v.agent_token.trim() : null,
    skip_relay_prompt: v.skip_relay_prompt === true,
    restart_policy: rp
      ? {
          enabled: rp.enabled ?? true,
          max_restarts: rp.max_restarts ?? 5,
          cooldown_ms: rp.cooldown_ms ?? 2000,
          max_consecutive_failures: rp.max_consecutive_failures ?? 3
        }
      : null
  })
}

const sendSchema = z.object({
  to: z.string(),
  text: z.string(),
  from: optString,
  thread_id: optString,
  mode: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(['wait', 'steer'], { error: "invalid mode: expected 'wait' or 'steer'" }))
    .default('wait'),
  /** P0 (most urgent) … P4. */
  priority: z.number().int().min(0).max(4).nullable().optional(),
  /** A repeated send with the same key is accepted once. */
  idempotency_key: z.string().min(1).max(256).nullable().optional()
})

export function parseSend(body: unknown): SendRequest {
  const b = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
  const merged = {
    to: typeof b.to === 'string' ? b.to.trim() : b.to,
    text: alias(b, 'message', 'text', 'body', 'content'),
    from: b.from,
    thread_id: alias(b, 'thread', 'thread_id', 'threadId'),
    mode: alias(b, 'mode', 'injectionMode', 'injection_mode'),
    priority: b.priority,
    idempotency_key: alias(b, 'idempotency_key', 'idempotencyKey')
  }
  if (typeof merged.to !== 'string' || merged.to === '' || typeof merged.text !== 'string' || merged.text.trim() === '') {
    throw ApiErrorFor.missing('A', 'Missing required fields: to, message')
  }
  const v = validate(sendSchema, merged, 'A')
  return {
    to: v.to,
    text: v.text.trim(),
    from: v.from ?? null,
    thread_id: v.thread_id?.trim() ? v.thread_id.trim() : null,
    mode: v.mode,
    priority: v.priority ?? null,
    idempotency_key: v.idempotency_key ?? null
  }
}

export const inputSchema = z.object({ data: z.string() })
export const resizeSchema = z.object({ rows: z.number().int().min(0).max(65_535), cols: z.number().int().min(0).max(65_535) })

const searchSchema = z.object({
  q: z.string().max(4096).default(''),
  from: z.string().max(256).nullable().default(null),
  to: z.string().max(256).nullable().default(null),
  channel: z.string().max(256).nullable().default(null),
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a positive integer')
    .transform(Number)
    .pipe(z.number().int().min(1))
    .nullable()
    .default(null)
})

export interface SearchParams {
  q: string
  from: string | null
  to: string | null
  channel: string | null
  /** null: the default. */
  limit: number | null
}

/** `?q=&from=&to=&channel=&limit=` of a message search (a repeated parameter: the first wins). */
export function parseSearchParams(params: URLSearchParams): SearchParams {
  const pick = (k: string) => params.get(k) ?? undefined
  return validate(searchSchema, { q: pick('q'), from: pick('from'), to: pick('to'), channel: pick('channel'), limit: pick('limit') }, 'B')
}
