/**
 * Per-agent terminal routes: snapshot, input, resize, model switch, interrupt.
 */
import * as z from 'zod'
import { BrokerError } from '../../errors/index.js'
import { inputWriterFor } from '../ws/input-writer.js'
import { interruptKeyFor } from '../ws/interrupt.js'
import { apiError, orFamilyA, sendJson } from '../reply.js'
import type { RouteContext, Routes } from '../router.js'
import { inputSchema, resizeSchema } from '../schemas.js'
import { readJson, validate } from '../validate.js'
import { requireAgent } from '../views.js'

export function parseFormat(raw: string | null): 'plain' | 'ansi' {
  const f = (raw ?? '').trim().toLowerCase()
  if (f === '' || f === 'plain' || f === 'text') return 'plain'
  if (f === 'ansi') return 'ansi'
  throw apiError('invalid_format', `unsupported snapshot format '${raw}' (expected 'plain' or 'ansi')`)
}

async function snapshot(ctx: RouteContext): Promise<void> {
  const format = parseFormat(ctx.url.searchParams.get('format'))
  const entry = requireAgent(ctx.rt, ctx.params.name!, 'no worker named')
  if (entry.handle.spec.runtime !== 'pty') {
    throw apiError('unsupported_runtime', `unsupported_runtime: agent '${entry.handle.name}' has no PTY`)
  }
  // A worker's refusal is answered by reply.ts (fromWorkerError).
  sendJson(ctx.res, 200, await entry.handle.request('snapshot_pty', { format }))
}

async function input(ctx: RouteContext): Promise<void> {
  const body = validate(inputSchema, await readJson(ctx.req, 'B'), 'B')
  requireAgent(ctx.rt, ctx.params.name!, 'unknown worker')
  sendJson(ctx.res, 200, await inputWriterFor(ctx.rt).write(ctx.params.name!, body.data, 'unknown worker'))
}

async function resize(ctx: RouteContext): Promise<void> {
  const body = validate(resizeSchema, await readJson(ctx.req, 'B'), 'B')
  if (body.rows === 0 || body.cols === 0) {
    throw apiError('invalid_request', 'invalid_dimensions: rows and cols must be >= 1')
  }
  const entry = requireAgent(ctx.rt, ctx.params.name!, 'unknown worker')
  if (!entry.handle.send('resize_pty', { rows: body.rows, cols: body.cols })) {
    if (entry.handle.congested) throw apiError('worker_timeout', `worker_timeout: worker '${entry.handle.name}' is not reading its input`)
    throw apiError('worker_disappeared', `worker_disappeared: worker '${entry.handle.name}' is not running`)
  }
  sendJson(ctx.res, 200, { name: entry.handle.name, rows: body.rows, cols: body.cols })
}

const modelSchema = z.object({
  model: z.string(),
  timeout_ms: z.number().int().nonnegative().nullable().optional()
})

/** Family A agent look-up: `{success:false, name, error}` with 404 (the original: 500). */
function requireAgentA(ctx: RouteContext) {
  const name = ctx.params.name!
  const entry = ctx.rt.agents.get(name)
  if (!entry) throw apiError('agent_not_found', `unknown worker '${name}'`, 'A', { name })
  return entry
}

async function setModel(ctx: RouteContext): Promise<void> {
  const raw = await readJson(ctx.req, 'A')
  const b = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {}
  if (typeof b.model !== 'string' || b.model.trim() === '') {
    throw apiError('invalid_request', 'Missing required field: model', 'A')
  }
  const body = validate(modelSchema, { model: b.model, timeout_ms: 'timeout_ms' in b ? b.timeout_ms : b.timeoutMs }, 'A')
  const model = body.model.trim()
  const entry = requireAgentA(ctx)
  if (!ctx.rt.lifecycle.setModel(entry.handle.name, model)) {
    throw apiError('worker_disappeared', `worker '${entry.handle.name}' is not running`, 'A', { name: entry.handle.name })
  }
  await ctx.rt.stateWritten()
  sendJson(ctx.res, 200, { name: entry.handle.name, model, success: true })
}

async function interrupt(ctx: RouteContext): Promise<void> {
  if (ctx.req.headers['content-type']?.includes('application/json')) await readJson(ctx.req, 'A')
  const entry = requireAgentA(ctx)
  const key = interruptKeyFor(entry.handle.spec.cli)
  await orFamilyA(inputWriterFor(ctx.rt).write(entry.handle.name, key.bytes), [BrokerError], { name: entry.handle.name })
  sendJson(ctx.res, 200, { success: true, name: entry.handle.name, key: key.key })
}

export const ptyRoutes: Routes = {
  'GET /api/spawned/:name/snapshot': snapshot,
  'POST /api/spawned/:name/model': setModel,
  'POST /api/input/:name': input,
  'POST /api/resize/:name': resize,
  'POST /api/agents/by-name/:name/interrupt': interrupt
}
