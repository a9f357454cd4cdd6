/**
 * Spawn fields beyond the 6.3.6 body (validated at the edge): the agent's own `env`, the 9.x
 * client's `harnessConfig`, `spawnMode` / `exitAfterTask` and `agentResultSchema`.
 */
import { z } from 'zod'
import { AgentEnvError, validateAgentEnv } from '../supervisor/agents/agent-env.js'
import { compileResultSchema, ResultSchemaError } from '../supervisor/agents/result-schema.js'
import type { SpawnRequest } from '../supervisor/agent-spec.js'
import { ApiError } from './reply.js'
import { alias, validate } from './validate.js'

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
    if (err instanceof AgentEnvError) throw new ApiError(400, err.code, err.message, 'A')
    throw err
  }
}

/** Applies the extra fields of `body` to an already parsed request (harnessConfig wins over cli). */
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
      throw new ApiError(
        400,
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
      if (err instanceof ResultSchemaError) throw new ApiError(400, 'invalid_result_schema', err.message, 'A')
      throw err
    }
    out.result_schema = v.result_schema
  }
  return out
}
