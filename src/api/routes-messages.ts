/** Messages: `POST /api/send`, `GET /api/threads`, `GET /api/history/stats` (api.md §4.12, §4.21). */
import { NoRecipientError, type SendRequest } from '../supervisor/messaging.js'
import { ApiError, sendJson } from './reply.js'
import type { RouteContext, Router } from './router.js'
import { parseSend } from './schemas.js'
import { buildThreads } from './threads.js'
import { readJson } from './validate.js'
import { WORKSPACE_ID } from './workspace.js'

/** Sends and replies in the `/api/send` shape; shared by the admin and the agent send routes. */
export async function performSend(ctx: RouteContext, req: SendRequest): Promise<void> {
  try {
    const result = await ctx.rt.send(req)
    sendJson(ctx.res, 200, {
      success: true,
      event_id: result.event_id,
      delivered: result.deliveries.length,
      status: 'accepted',
      local: true,
      workspace_id: WORKSPACE_ID,
      workspace_alias: null,
      targets: result.targets,
      deliveries: result.deliveries,
      duplicate: result.duplicate
    })
  } catch (err) {
    if (err instanceof NoRecipientError) throw new ApiError(404, 'agent_not_found', err.message, 'A', { to: err.to })
    throw err
  }
}

async function send(ctx: RouteContext): Promise<void> {
  const req = parseSend(await readJson(ctx.req, 'A'))
  const header = ctx.req.headers['idempotency-key']
  if (!req.idempotency_key && typeof header === 'string' && header.trim()) req.idempotency_key = header.trim()
  await performSend(ctx, req)
}

function threads(ctx: RouteContext): void {
  sendJson(ctx.res, 200, { threads: buildThreads(ctx.rt.history.entries(), ctx.rt.config.name) })
}

function historyStats(ctx: RouteContext): void {
  const entries = ctx.rt.history.entries()
  sendJson(ctx.res, 200, {
    messageCount: ctx.rt.history.total,
    sessionCount: 1,
    activeSessions: ctx.rt.agents.size,
    uniqueAgents: ctx.rt.history.uniqueParticipants,
    oldestMessageDate: entries.length > 0 ? new Date(entries[0]!.at).toISOString() : null
  })
}

export function registerMessageRoutes(r: Router): void {
  r.add('POST', '/api/send', send)
  r.add('GET', '/api/threads', threads)
  r.add('GET', '/api/history/stats', historyStats)
}
