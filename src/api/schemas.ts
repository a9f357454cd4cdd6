/** Request schemas at the edge (zod). Aliased fields are merged first: the first spelling present wins. */
import * as z from 'zod'
import { spawnRequest, type SpawnRequest } from '../supervisor/agents/spawn-spec.js'
import { restartPolicyWithDefaults } from '../supervisor/agents/restart-policy.js'
import type { SendRequest } from '../supervisor/delivery/engine.js'
import { agentNameSchema, channelSchema, senderSchema, targetSchema, threadIdSchema } from '../protocol/names.js'
import { alias, checkName, missingField, validate } from './validate.js'
import { AgentEnvError, validateAgentEnv } from '../supervisor/agents/env.js'
import { compileResultSchema, ResultSchemaError } from '../supervisor/agents/result-schema.js'
import { apiError } from './reply.js'

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
  skip_relay_prompt: z.boolean().nullable().optional(),
  run_as: z.string().min(1).max(64).nullable().optional()
})

export function parseSpawn(body: unknown): SpawnRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw missingField('A', 'Missing required field: name')
  }
  const b = body as Record<string, unknown>
  if (typeof b.name !== 'string' || b.name === '') throw missingField('A', 'Missing required field: name')
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
    skip_relay_prompt: alias(b, 'skip_relay_prompt', 'skipRelayPrompt'),
    run_as: alias(b, 'run_as', 'runAs')
  }
  const v = validate(spawnSchema, merged, 'A')
  checkName(agentNameSchema, v.name, 'name', 'A')
  v.channels.forEach((c, i) => checkName(channelSchema, c.trim(), `channels.${i}`, 'A'))
  if (v.shadow_of) checkName(agentNameSchema, v.shadow_of, 'shadow_of', 'A')
  const task = v.task?.trim() ? v.task : null
  const rp = v.restart_policy
  const trimmed = (s: string | null | undefined) => (s?.trim() ? s.trim() : null)
  return applySpawnFields(
    b,
    spawnRequest({
      ...v,
      model: trimmed(v.model),
      task,
      agent_token: trimmed(v.agent_token),
      skip_relay_prompt: v.skip_relay_prompt === true,
      run_as: trimmed(v.run_as),
      restart_policy: rp ? restartPolicyWithDefaults(rp) : null
    })
  )
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
    throw missingField('A', 'Missing required fields: to, message')
  }
  const v = validate(sendSchema, merged, 'A')
  checkName(targetSchema, v.to, 'to', 'A')
  if (v.from?.trim()) checkName(senderSchema, v.from.trim(), 'from', 'A')
  if (v.thread_id?.trim()) checkName(threadIdSchema, v.thread_id.trim(), 'thread_id', 'A')
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

// ── spawn fields beyond the 6.3.6 body: the agent's own `env`, the 9.x client's `harnessConfig`,
// `spawnMode` / `exitAfterTask` and `agentResultSchema` ─────────────────────────────────────────

const TASK_SPAWN_MODES = ['task_exit', 'task-exit', 'single_shot', 'single-shot']
const SPAWN_MODES = ['interactive', ...TASK_SPAWN_MODES] as const

const ptyHarness = z.object({
  runtime: z.literal('pty'),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  cwd: z.string().nullable().optional(),
  env: z.record(z.string(), z.unknown()).nullable().optional(),
  sessionId: z.string().min(1).nullable().optional(),
  delivery: z.record(z.string(), z.unknown()).nullable().optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional()
})

const extrasSchema = z.object({
  env: z.record(z.string(), z.unknown()).nullable().optional(),
  harness: z.record(z.string(), z.unknown()).nullable().optional(),
  spawn_mode: z.enum(SPAWN_MODES, { error: `spawnMode must be one of ${SPAWN_MODES.join(', ')}` }).nullable().optional(),
  exit_after_task: z.boolean().nullable().optional(),
  result_schema: z.union([z.boolean(), z.record(z.string(), z.unknown())]).nullable().optional()
})

/** A word as `splitCommand` (cli-command.ts) reads it back: single-quoted. */
function quoteWord(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}

function envOrThrow(env: Record<string, unknown> | null | undefined, field: string): Record<string, string> | null {
  if (!env) return null
  try {
    return validateAgentEnv(env, field)
  } catch (err) {
    if (err instanceof AgentEnvError) throw err.inFamily('A')
    throw err
  }
}

/** Applies the spawn fields beyond the 6.3.6 body of `body` to an already parsed request (harnessConfig wins over cli). */
export function applySpawnFields(body: Record<string, unknown>, req: SpawnRequest): SpawnRequest {
  const v = validate(
    extrasSchema,
    {
      env: body.env,
      harness: alias(body, 'harnessConfig', 'harness_config'),
      spawn_mode: alias(body, 'spawnMode', 'spawn_mode'),
      exit_after_task: alias(body, 'exitAfterTask', 'exit_after_task'),
      result_schema: alias(body, 'agentResultSchema', 'agent_result_schema')
    },
    'A'
  )
  const out: SpawnRequest = { ...req }
  const env = envOrThrow(v.env, 'env')
  if (env) out.env = env
  if (v.harness) {
    if (v.harness.runtime !== 'pty') {
      throw apiError(
        'unsupported_harness',
        `harnessConfig.runtime '${String(v.harness.runtime)}' is not supported: this broker attaches no app-server harness; use runtime 'pty' (command, args, env, cwd) or transport 'headless' with cli claude or opencode`,
        'A'
      )
    }
    const h = validate(ptyHarness, v.harness, 'A')
    out.cli = quoteWord(h.command)
    out.args = h.args
    out.runtime = 'pty'
    if (h.cwd) out.cwd = h.cwd
    const henv = envOrThrow(h.env, 'harnessConfig.env')
    if (henv) out.env = { ...(out.env ?? {}), ...henv }
    if (h.sessionId) out.session_id = h.sessionId
  }
  if (v.spawn_mode) out.spawn_mode = v.spawn_mode
  const taskMode = v.spawn_mode ? TASK_SPAWN_MODES.includes(v.spawn_mode) : false
  if (v.exit_after_task === true || (taskMode && v.exit_after_task !== false)) out.exit_after_task = true
  if (v.result_schema !== undefined && v.result_schema !== null) {
    try {
      compileResultSchema(v.result_schema)
    } catch (err) {
      if (err instanceof ResultSchemaError) throw err.inFamily('A')
      throw err
    }
    out.result_schema = v.result_schema
  }
  return out
}
