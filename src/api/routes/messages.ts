/**
 * Messages: `POST /api/send`, `GET /api/threads`, `GET /api/history/stats`,
 * and `GET /api/messages/search` (ours: full-text search over the on-disk history).
 */
import { HubUnavailableError } from '../../hub/types.js'
import { NoRecipientError, type SendRequest } from '../../supervisor/delivery/engine.js'
import { buildQuery, SEARCH_TERMS_MAX } from '../../history/query.js'
import { SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, type SearchResult } from '../../history/search.js'
import { apiError, orFamilyA, sendJson } from '../reply.js'
import type { RouteContext, Routes } from '../router.js'
import { parseSearchParams, parseSend } from '../schemas.js'
import { buildThreads } from './threads.js'
import { readJson } from '../validate.js'
import { WORKSPACE_ID } from '../workspace.js'

/** Sends and replies in the `/api/send` shape; shared by the admin and the agent send routes. */
export async function performSend(ctx: RouteContext, req: SendRequest): Promise<void> {
  // hub_unavailable: the recipients are on other nodes and the team's NATS server cannot take the message now.
  const result = await orFamilyA(ctx.rt.send(req), [NoRecipientError, HubUnavailableError], { to: req.to })
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

/**
 * A message search for the API key (every message) or, with `agent`, for that agent (what it
 * could have seen); shared by `/api/messages/search` and `/api/agent/messages/search`.
 */
export async function performSearch(ctx: RouteContext, agent: string | null): Promise<void> {
  const p = parseSearchParams(ctx.url.searchParams)
  const query = buildQuery(p)
  if (query.terms.length > SEARCH_TERMS_MAX) throw apiError('invalid_request', `q has ${query.terms.length} terms; at most ${SEARCH_TERMS_MAX}`)
  const limit = Math.min(p.limit ?? SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX)
  let result: SearchResult
  try {
    result = agent === null ? await ctx.rt.history.search(query, limit) : await ctx.rt.history.searchAs(agent, query, limit)
  } catch (err) {
    throw apiError('search_unavailable', `search failed: ${(err as Error).message}`)
  }
  sendJson(ctx.res, 200, {
    query: { q: p.q, terms: query.terms, from: query.from, to: query.to, channel: query.channel, limit },
    messages: result.hits.map((h) => ({
      seq: h.seq,
      event_id: h.event_id,
      from: h.from,
      to: h.to,
      body: h.body,
      thread_id: h.thread_id,
      at: new Date(h.at).toISOString(),
      recipients: h.recipients
    })),
    count: result.hits.length,
    truncated: result.truncated,
    segments_scanned: result.segments_scanned,
    segments_total: result.segments_total,
    took_ms: Math.round(result.took_ms * 10) / 10
  })
}

export const messageRoutes: Routes = {
  'POST /api/send': send,
  'GET /api/messages/search': (ctx) => performSearch(ctx, null),
  'GET /api/threads': threads,
  'GET /api/history/stats': historyStats
}
