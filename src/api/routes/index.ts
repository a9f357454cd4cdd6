/**
 * HTTP routes: session, lifecycle and event replay here; the rest by area in
 * routes-*.ts. Handlers validate at the edge and call into the runtime.
 */
import { API_PROTOCOL_VERSION, BROKER_VERSION } from '../../protocol/constants.js'
import { SpawnError } from '../../supervisor/agents/spawn-spec.js'
import { agentView } from '../views.js'
import { apiError, orFamilyA, sendJson } from '../reply.js'
import { Router, type RouteContext, type Routes } from '../router.js'
import { parseSpawn } from '../schemas.js'
import { readJson, validate } from '../validate.js'
import * as z from 'zod'
import { OWNER_LEASE_MS } from '../../supervisor/config.js'

const shutdownSchema = z.object({ keep_agents: z.boolean().optional(), keepAgents: z.boolean().optional() }).passthrough()
import { deliveryRoutes } from './deliveries.js'
import { healthRoutes } from './health.js'
import { agentRoutes } from './agents.js'
import { channelRoutes } from './channels.js'
import { messageRoutes } from './messages.js'
import { ptyRoutes } from './pty.js'
import { statusRoutes } from './status.js'
import { uiRoutes } from '../ui/routes.js'
import { fleetRoutes } from '../fleet/routes.js'
import { MEMBERSHIPS, WORKSPACE_ID } from '../workspace.js'
import { eventStreamCount } from '../ws/events.js'

function healthBody(ctx: RouteContext) {
  const rt = ctx.rt
  return {
    status: 'ok',
    service: 'agent-relay-listen',
    version: BROKER_VERSION,
    uptimeMs: Date.now() - rt.startedAt,
    workspaceId: WORKSPACE_ID,
    defaultWorkspaceId: WORKSPACE_ID,
    memberships: MEMBERSHIPS,
    agentCount: rt.agents.size,
    pendingDeliveryCount: rt.deliveries.openCount,
    wsConnections: eventStreamCount(rt.events),
    memoryMb: Math.round(process.memoryUsage().rss / (1024 * 1024)),
    relaycastConnected: false
  }
}

async function spawn(ctx: RouteContext): Promise<void> {
  const req = parseSpawn(await readJson(ctx.req, 'A'))
  // Waits for a start slot; the agent's record is on disk before its child starts (else 507).
  // A refused spawn names the agent (a full queue adds retry_after_secs).
  const handle = await orFamilyA(ctx.rt.spawnAgent(req), [SpawnError], { name: req.name })
  sendJson(ctx.res, 200, {
    success: true,
    name: handle.name,
    runtime: handle.spec.runtime,
    model: handle.spec.model ?? null,
    pid: handle.pid ?? 0,
    sessionId: ctx.rt.lifecycle.requestOf(handle.name)?.session_id ?? undefined,
    pre_registered: false,
    warning: null
  })
}

async function release(ctx: RouteContext): Promise<void> {
  if (ctx.req.headers['content-type']?.includes('application/json')) await readJson(ctx.req, 'A')
  const name = ctx.params.name!
  if (!(await ctx.rt.releaseAgent(name))) {
    throw apiError('agent_not_found', `Agent "${name}" not found: no running agent by that name (already released or exited?)`, 'A', { name })
  }
  await ctx.rt.stateWritten()
  sendJson(ctx.res, 200, { success: true, name: ctx.params.name })
}

function sinceParam(url: URL): number {
  const raw = url.searchParams.get('sinceSeq') ?? url.searchParams.get('since_seq')
  if (raw === null) return 0
  if (!/^\d+$/.test(raw)) throw apiError('invalid_request', `sinceSeq must be a non-negative integer, got '${raw}'`)
  return Number(raw)
}

/** A WebSocket path fetched as plain HTTP. */
function notAnUpgrade(): never {
  throw apiError('invalid_request', "Connection header did not include 'upgrade'")
}

/** Session, spawn and release, event replay, shutdown; the other routes live with their area. */
const coreRoutes: Routes = {
  'GET /health': (ctx) => sendJson(ctx.res, 200, healthBody(ctx)),
  'GET /api/session': (ctx) =>
    sendJson(ctx.res, 200, {
      broker_version: BROKER_VERSION,
      protocol_version: API_PROTOCOL_VERSION,
      workspace_key: null,
      default_workspace_id: WORKSPACE_ID,
      mode: ctx.rt.config.paths.mode,
      broker_name: ctx.rt.config.name,
      // No cloud: the one workspace is local; a workspace key a client passed is recorded, not used.
      workspace: { id: WORKSPACE_ID, kind: 'local', cloud: false, key_received: Boolean(ctx.rt.config.workspaceKey) },
      uptime_secs: Math.floor((Date.now() - ctx.rt.startedAt) / 1000)
    }),
  'POST /api/session/renew': (ctx) => {
    ctx.rt.renewLease()
    const lease = ctx.rt.config.leaseEnabled
    sendJson(ctx.res, 200, {
      renewed: true,
      expires_in_secs: lease ? Math.round((ctx.rt.config.leaseMs ?? OWNER_LEASE_MS) / 1000) : 0,
      persist: ctx.rt.config.paths.mode === 'persist'
    })
  },
  'POST /api/spawn': spawn,
  'GET /api/spawned': (ctx) => sendJson(ctx.res, 200, { agents: [...ctx.rt.agents.values()].map((e) => agentView(ctx.rt, e)) }),
  'DELETE /api/spawned/:name': release,
  'GET /api/events/replay': (ctx) => {
    const since = sinceParam(ctx.url)
    const replay = ctx.rt.events.replay(since)
    ctx.res.writeHead(200, { 'content-type': 'application/json' })
    ctx.res.end(
      `{"events":[${replay.events.map((e) => e.json).join(',')}],"gap":${replay.gap},"oldestAvailable":${replay.gap ? replay.oldestAvailable : since}}`
    )
  },
  'POST /api/shutdown': async (ctx) => {
    // `keep_agents` (or `keepAgents`): a planned hand-over — the agents keep running and the next
    // broker on this state dir adopts them (durable brokers only: nobody can restart an ephemeral one).
    const body = validate(shutdownSchema, (await readJson(ctx.req, 'B')) ?? {}, 'B')
    const keepAgents = body.keep_agents ?? body.keepAgents ?? false
    if (keepAgents && !ctx.rt.config.paths.durable) {
      throw apiError('not_durable', 'keep_agents needs a durable broker (--persist or --state-dir): no later broker could adopt them', 'B')
    }
    sendJson(ctx.res, 200, { status: 'shutting_down', keep_agents: keepAgents })
    setImmediate(() => void ctx.rt.shutdown('api shutdown', { keepAgents }))
  },
  'GET /ws': notAnUpgrade,
  'GET /api/input/:name/stream': notAnUpgrade
}

export function buildRouter(): Router {
  const r = new Router()
  for (const routes of [coreRoutes, ptyRoutes, channelRoutes, messageRoutes, statusRoutes, agentRoutes, deliveryRoutes, healthRoutes, uiRoutes, fleetRoutes]) {
    r.addRoutes(routes)
  }
  return r
}

export { sinceParam }
