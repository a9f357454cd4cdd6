/**
 * Fleet API: the agents of every broker in the team, and spawn, release and snapshot on a named
 * node, all authorised by this broker's API key (the team's NATS credentials carry the call on).
 *   GET    /api/agents?scope=fleet|local
 *   GET    /api/fleet/nodes
 *   POST   /api/fleet/nodes/:node/spawn            (body as POST /api/spawn)
 *   DELETE /api/fleet/nodes/:node/agents/:name
 *   GET    /api/fleet/agents/:name/snapshot?format=plain|ansi
 */
import type { FleetCall, FleetReply } from '../../hub/types.js'
import { apiError, sendJson } from '../reply.js'
import type { RouteContext, Routes } from '../router.js'
import { readJson } from '../validate.js'
import { fleetServer } from './serve.js'

async function callNode(ctx: RouteContext, node: string, call: FleetCall): Promise<FleetReply> {
  if (node === ctx.rt.hub.node) return fleetServer(ctx.rt)(call)
  return await ctx.rt.hub.call(node, call) // node_not_found, hub_unavailable: answered by reply.ts
}

function agents(ctx: RouteContext): void {
  const scope = ctx.url.searchParams.get('scope') ?? 'local'
  if (scope !== 'local' && scope !== 'fleet') throw apiError('invalid_request', `scope must be 'local' or 'fleet', got '${scope}'`)
  const fleet = ctx.rt.hub.fleet()
  const list = scope === 'fleet' ? fleet.agents : fleet.agents.filter((a) => a.node === ctx.rt.hub.node)
  sendJson(ctx.res, 200, { scope, node: ctx.rt.hub.node, hub: ctx.rt.hub.kind, agents: list, nodes: fleet.nodes })
}

function nodes(ctx: RouteContext): void {
  sendJson(ctx.res, 200, { node: ctx.rt.hub.node, hub: ctx.rt.hub.kind, available: ctx.rt.hub.available(), nodes: ctx.rt.hub.fleet().nodes })
}

async function spawnOn(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req, 'A')
  const reply = await callNode(ctx, ctx.params.node!, { op: 'spawn', body })
  sendJson(ctx.res, reply.status, reply.body)
}

async function releaseOn(ctx: RouteContext): Promise<void> {
  if (ctx.req.headers['content-type']?.includes('application/json')) await readJson(ctx.req, 'A')
  const reply = await callNode(ctx, ctx.params.node!, { op: 'release', name: ctx.params.name! })
  sendJson(ctx.res, reply.status, reply.body)
}

async function snapshotOf(ctx: RouteContext): Promise<void> {
  const name = ctx.params.name!
  const entry = ctx.rt.hub.fleet().agents.find((a) => a.name === name) ?? ctx.rt.hub.fleet().agents.find((a) => a.name.toLowerCase() === name.toLowerCase())
  if (!entry) throw apiError('agent_not_found', `agent_not_found: no agent named '${name}' in the team`)
  const format = ctx.url.searchParams.get('format')
  const reply = await callNode(ctx, entry.node, { op: 'snapshot', name: entry.name, ...(format !== null ? { format } : {}) })
  sendJson(ctx.res, reply.status, reply.body)
}

export const fleetRoutes: Routes = {
  'GET /api/agents': agents,
  'GET /api/fleet/nodes': nodes,
  'POST /api/fleet/nodes/:node/spawn': spawnOn,
  'DELETE /api/fleet/nodes/:node/agents/:name': releaseOn,
  'GET /api/fleet/agents/:name/snapshot': snapshotOf
}
