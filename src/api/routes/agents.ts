/**
 * The agent API (docs/api-agents.md): what a spawned agent may do with its own token —
 * send as itself, read its inbox, search what it could have seen, list agents, follow a delivery
 * it sent. The sender is always the token's agent; a `from` in the body is ignored.
 */
import { apiError, sendJson } from '../reply.js'
import type { RouteContext, Routes } from '../router.js'
import { parseSend } from '../schemas.js'
import { readJson, validate } from '../validate.js'
import { performSearch, performSend } from './messages.js'
import * as z from 'zod'
import { ResultRejected } from '../../supervisor/agents/results.js'

/** Default and largest page of `GET /api/agent/inbox`. */
export const AGENT_INBOX_PAGE_DEFAULT = 100

export const AGENT_INBOX_PAGE_MAX = 1_000

function callingAgent(ctx: RouteContext): string {
  // server.ts only routes /api/agent/* with an authenticated agent
  if (!ctx.agent) throw apiError('unauthorized', 'Missing or invalid agent token')
  return ctx.agent
}

function intParam(url: URL, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = url.searchParams.get(name)
  if (raw === null || raw === '') return fallback
  if (!/^\d+$/.test(raw)) throw apiError('invalid_request', `${name} must be a non-negative integer, got '${raw}'`)
  return Math.min(Number(raw), max)
}

async function agentSend(ctx: RouteContext): Promise<void> {
  const agent = callingAgent(ctx)
  const req = parseSend(await readJson(ctx.req, 'A'))
  await performSend(ctx, { ...req, from: agent })
}

function inbox(ctx: RouteContext): void {
  const agent = callingAgent(ctx)
  const since = intParam(ctx.url, 'since', 0)
  const limit = Math.max(1, intParam(ctx.url, 'limit', AGENT_INBOX_PAGE_DEFAULT, AGENT_INBOX_PAGE_MAX))
  const items = ctx.rt.history.inbox(agent, since, limit)
  sendJson(ctx.res, 200, {
    agent,
    messages: items.map((m) => ({
      seq: m.seq,
      event_id: m.event_id,
      delivery_id: m.delivery_id,
      from: m.from,
      to: m.to,
      body: m.body,
      thread_id: m.thread_id,
      received_at: new Date(m.at).toISOString(),
      stage: m.delivery_id ? (ctx.rt.deliveries.get(m.delivery_id)?.stage ?? null) : null
    })),
    cursor: items.length > 0 ? items[items.length - 1]!.seq : since
  })
}

function agents(ctx: RouteContext): void {
  const self = callingAgent(ctx)
  const list = [...ctx.rt.agents.values()]
    .map((e) => ({
      name: e.handle.name,
      channels: [...(ctx.rt.hub.channelsOf(e.handle.name) ?? e.handle.spec.channels)],
      self: e.handle.name === self
    }))
    .sort((a, b) => a.name.localeCompare(b.name))
  sendJson(ctx.res, 200, { self, agents: list })
}

function delivery(ctx: RouteContext): void {
  const agent = callingAgent(ctx)
  const id = ctx.params.id!
  const rec = ctx.rt.deliveries.get(id)
  const sender = ctx.rt.messaging.normalizeSender(agent)
  if (!rec || rec.from !== sender) {
    throw apiError('delivery_not_found', `no delivery '${id}' sent by '${agent}'`)
  }
  sendJson(ctx.res, 200, {
    delivery_id: rec.delivery_id,
    event_id: rec.event_id,
    from: rec.from,
    to: rec.to,
    recipient: rec.agent,
    thread_id: rec.thread_id,
    stage: rec.stage,
    reason: rec.reason,
    created_at: new Date(rec.created_at).toISOString(),
    history: rec.history.map((h) => ({ stage: h.stage, at: new Date(h.at).toISOString(), ...(h.reason !== undefined ? { reason: h.reason } : {}) }))
  })
}

// ── task agents and results (docs/api-agents.md) ─────────────────────────────

const resultSchema = z.object({
  data: z.unknown(),
  final: z.boolean().default(true),
  metadata: z.unknown().optional()
})

const doneSchema = z.object({ summary: z.string().max(64 * 1024).optional() })

function self(ctx: RouteContext): void {
  const name = callingAgent(ctx)
  const req = ctx.rt.lifecycle.requestOf(name)
  sendJson(ctx.res, 200, {
    name,
    session_id: req?.session_id ?? null,
    exit_after_task: req?.exit_after_task === true,
    result_schema: ctx.rt.results.schemaOf(name)
  })
}

async function result(ctx: RouteContext): Promise<void> {
  const name = callingAgent(ctx)
  const body = (await readJson(ctx.req, 'A')) ?? {}
  if (typeof body !== 'object' || body === null || !('data' in body)) {
    throw apiError('invalid_request', 'Missing required field: data (the result, any JSON value)', 'A')
  }
  const v = validate(resultSchema, body, 'A')
  try {
    const r = ctx.rt.results.submit(name, { data: v.data, final: v.final, ...(v.metadata !== undefined ? { metadata: v.metadata } : {}) })
    sendJson(ctx.res, 200, { success: true, name, ...r })
  } catch (err) {
    if (err instanceof ResultRejected) {
      throw err.inFamily('A', { result_schema: ctx.rt.results.schemaOf(name) })
    }
    throw err
  }
}

async function done(ctx: RouteContext): Promise<void> {
  const name = callingAgent(ctx)
  const v = validate(doneSchema, (await readJson(ctx.req, 'A')) ?? {}, 'A')
  if (!ctx.rt.tasks.isTaskAgent(name)) {
    throw apiError('not_a_task_agent', `agent '${name}' was not spawned as a task agent (spawnMode task_exit / exitAfterTask); nothing to end`, 'A')
  }
  if (v.summary) ctx.rt.log.info({ agent: name, summary: v.summary.slice(0, 500) }, 'task done')
  ctx.rt.tasks.complete(name, 'task_done')
  sendJson(ctx.res, 200, { success: true, name, task_complete: true })
}

export const agentRoutes: Routes = {
  'POST /api/agent/send': agentSend,
  'GET /api/agent/inbox': inbox,
  'GET /api/agent/messages/search': (ctx) => performSearch(ctx, callingAgent(ctx)),
  'GET /api/agent/agents': agents,
  'GET /api/agent/deliveries/:id': delivery,
  'GET /api/agent/self': self,
  'POST /api/agent/result': result,
  'POST /api/agent/done': done
}
