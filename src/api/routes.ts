/** HTTP route handlers (api.md §4). Handlers validate at the edge and call into the runtime. */
import { API_PROTOCOL_VERSION, BROKER_VERSION } from '../protocol/constants.js'
import { SpawnError } from '../supervisor/agent-spec.js'
import { NoRecipientError } from '../supervisor/messaging.js'
import { WorkerRequestError } from '../supervisor/worker-handle.js'
import { agentView, requireAgent } from './views.js'
import { ApiError, sendJson } from './reply.js'
import { Router, type RouteContext } from './router.js'
import { inputSchema, parseSend, parseSpawn, resizeSchema } from './schemas.js'
import { readJson, validate } from './validate.js'
import { registerDeliveryRoutes } from './routes-deliveries.js'

const WORKSPACE_ID = 'local'

function healthBody(ctx: RouteContext) {
  const rt = ctx.rt
  return {
    status: 'ok',
    service: 'agent-relay-listen',
    version: BROKER_VERSION,
    uptimeMs: Date.now() - rt.startedAt,
    workspaceId: WORKSPACE_ID,
    defaultWorkspaceId: WORKSPACE_ID,
    memberships: [{ workspace_id: WORKSPACE_ID, is_default: true }],
    agentCount: rt.agents.size,
    pendingDeliveryCount: rt.deliveries.openCount,
    wsConnections: 0,
    memoryMb: Math.round(process.memoryUsage().rss / (1024 * 1024)),
    relaycastConnected: false
  }
}

/** Maps a worker RPC failure to a status (api.md §8 classify_error). */
export function classifyWorkerError(err: WorkerRequestError): ApiError {
  const code = err.code
  if (code === 'worker_timeout') return new ApiError(504, 'worker_timeout', err.message)
  if (code === 'worker_disappeared') return new ApiError(503, 'worker_disappeared', err.message)
  if (code.startsWith('invalid_')) return new ApiError(400, 'invalid_request', err.message)
  return new ApiError(400, 'request_failed', err.message)
}

async function spawn(ctx: RouteContext): Promise<void> {
  const req = parseSpawn(await readJson(ctx.req, 'A'))
  try {
    const handle = ctx.rt.spawnAgent(req)
    sendJson(ctx.res, 200, {
      success: true,
      name: handle.name,
      runtime: 'pty',
      model: handle.spec.model ?? null,
      pid: handle.pid ?? 0,
      pre_registered: false,
      warning: null
    })
  } catch (err) {
    if (err instanceof SpawnError) throw new ApiError(err.status, err.code, err.message, 'A', { name: req.name })
    throw err
  }
}

async function release(ctx: RouteContext): Promise<void> {
  if (ctx.req.headers['content-type']?.includes('application/json')) await readJson(ctx.req, 'A')
  await ctx.rt.releaseAgent(ctx.params.name!)
  sendJson(ctx.res, 200, { success: true, name: ctx.params.name })
}

async function send(ctx: RouteContext): Promise<void> {
  const req = parseSend(await readJson(ctx.req, 'A'))
  try {
    const result = ctx.rt.send(req)
    sendJson(ctx.res, 200, {
      success: true,
      event_id: result.event_id,
      delivered: result.deliveries.length,
      status: 'accepted',
      local: true,
      workspace_id: WORKSPACE_ID,
      workspace_alias: null,
      targets: result.targets,
      deliveries: result.deliveries
    })
  } catch (err) {
    if (err instanceof NoRecipientError) throw new ApiError(404, 'agent_not_found', err.message, 'A', { to: err.to })
    throw err
  }
}

function parseFormat(raw: string | null): 'plain' | 'ansi' {
  const f = (raw ?? '').trim().toLowerCase()
  if (f === '' || f === 'plain' || f === 'text') return 'plain'
  if (f === 'ansi') return 'ansi'
  throw new ApiError(400, 'invalid_format', `unsupported snapshot format '${raw}' (expected 'plain' or 'ansi')`)
}

async function snapshot(ctx: RouteContext): Promise<void> {
  const format = parseFormat(ctx.url.searchParams.get('format'))
  const entry = requireAgent(ctx.rt, ctx.params.name!, 'no worker named')
  try {
    sendJson(ctx.res, 200, await entry.handle.request('snapshot_pty', { format }))
  } catch (err) {
    if (err instanceof WorkerRequestError) throw classifyWorkerError(err)
    throw err
  }
}

async function input(ctx: RouteContext): Promise<void> {
  const body = validate(inputSchema, await readJson(ctx.req, 'B'), 'B')
  const entry = requireAgent(ctx.rt, ctx.params.name!, 'unknown worker')
  if (!entry.handle.send('write_pty', { data: body.data })) {
    throw new ApiError(503, 'worker_disappeared', `worker '${entry.handle.name}' is not running`)
  }
  sendJson(ctx.res, 200, { name: entry.handle.name, bytes_written: Buffer.byteLength(body.data) })
}

async function resize(ctx: RouteContext): Promise<void> {
  const body = validate(resizeSchema, await readJson(ctx.req, 'B'), 'B')
  if (body.rows === 0 || body.cols === 0) {
    throw new ApiError(400, 'invalid_request', 'invalid_dimensions: rows and cols must be >= 1')
  }
  const entry = requireAgent(ctx.rt, ctx.params.name!, 'unknown worker')
  entry.handle.send('resize_pty', { rows: body.rows, cols: body.cols })
  sendJson(ctx.res, 200, { name: entry.handle.name, rows: body.rows, cols: body.cols })
}

function sinceParam(url: URL): number {
  const raw = url.searchParams.get('sinceSeq') ?? url.searchParams.get('since_seq')
  if (raw === null) return 0
  if (!/^\d+$/.test(raw)) throw new ApiError(400, 'invalid_request', `sinceSeq must be a non-negative integer, got '${raw}'`)
  return Number(raw)
}

export function buildRouter(): Router {
  const r = new Router()
  r.add('GET', '/health', (ctx) => sendJson(ctx.res, 200, healthBody(ctx)))
  r.add('GET', '/api/session', (ctx) =>
    sendJson(ctx.res, 200, {
      broker_version: BROKER_VERSION,
      protocol_version: API_PROTOCOL_VERSION,
      workspace_key: null,
      default_workspace_id: WORKSPACE_ID,
      mode: ctx.rt.config.paths.mode,
      uptime_secs: Math.floor((Date.now() - ctx.rt.startedAt) / 1000)
    })
  )
  r.add('POST', '/api/session/renew', (ctx) => {
    ctx.rt.renewLease()
    const lease = ctx.rt.config.leaseEnabled
    sendJson(ctx.res, 200, { renewed: true, expires_in_secs: lease ? 120 : 0, persist: ctx.rt.config.paths.mode === 'persist' })
  })
  r.add('POST', '/api/spawn', spawn)
  r.add('GET', '/api/spawned', (ctx) => sendJson(ctx.res, 200, { agents: [...ctx.rt.agents.values()].map((e) => agentView(ctx.rt, e)) }))
  r.add('DELETE', '/api/spawned/:name', release)
  r.add('GET', '/api/spawned/:name/snapshot', snapshot)
  r.add('POST', '/api/send', send)
  r.add('POST', '/api/input/:name', input)
  r.add('POST', '/api/resize/:name', resize)
  r.add('GET', '/api/events/replay', (ctx) => {
    const since = sinceParam(ctx.url)
    const replay = ctx.rt.events.replay(since)
    ctx.res.writeHead(200, { 'content-type': 'application/json' })
    ctx.res.end(
      `{"events":[${replay.events.map((e) => e.json).join(',')}],"gap":${replay.gap},"oldestAvailable":${replay.gap ? replay.oldestAvailable : since}}`
    )
  })
  r.add('POST', '/api/shutdown', (ctx) => {
    sendJson(ctx.res, 200, { status: 'shutting_down' })
    setImmediate(() => void ctx.rt.shutdown('api shutdown'))
  })
  registerDeliveryRoutes(r)
  return r
}

export { sinceParam }
