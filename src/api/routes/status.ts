/** Broker-wide views: status, config, preflight. */
import * as z from 'zod'
import { sendJson } from '../reply.js'
import type { RouteContext, Routes } from '../router.js'
import { readJson, validate } from '../validate.js'
import { agentView } from '../views.js'
import { MEMBERSHIPS, WORKSPACE_ID } from '../workspace.js'

function status(ctx: RouteContext): void {
  const rt = ctx.rt
  const now = Date.now()
  const agents = [...rt.agents.values()].map((e) => agentView(rt, e))
  const pending = [...rt.deliveries.openRecords()].map((rec) => ({
    delivery_id: rec.delivery_id,
    worker_name: rec.agent,
    event_id: rec.event_id,
    attempts: Math.max(1, (rec as { attempts?: number }).attempts ?? 1),
    from: rec.from,
    to: rec.to,
    queued_at_ms: rec.created_at,
    age_ms: now - rec.created_at,
    last_error: rec.reason,
    stage: rec.stage
  }))
  sendJson(ctx.res, 200, {
    agent_count: agents.length,
    agents,
    pending_delivery_count: pending.length,
    pending_deliveries: pending,
    // Can the state dir take writes, and what the start-up replay of the journal could not use.
    storage: rt.storageHealth(),
    auth: {
      authenticated: false,
      workspace_count: 1,
      default_workspace_id: WORKSPACE_ID,
      workspaces: [
        {
          workspace_id: WORKSPACE_ID,
          workspace_alias: null,
          self_name: rt.config.name,
          self_agent_id: null,
          authenticated: false,
          default: true
        }
      ]
    }
  })
}

function config(ctx: RouteContext): void {
  sendJson(ctx.res, 200, { workspaceKey: null, defaultWorkspaceId: WORKSPACE_ID, memberships: MEMBERSHIPS })
}

const preflightSchema = z.object({
  agents: z.array(z.object({ name: z.string(), cli: z.string() }))
})

/** Without Relaycast there is nothing to pre-register: count and reply. */
async function preflight(ctx: RouteContext): Promise<void> {
  const body = validate(preflightSchema, await readJson(ctx.req, 'B'), 'B')
  sendJson(ctx.res, 200, { queued: body.agents.length })
}

export const statusRoutes: Routes = {
  'GET /api/status': status,
  'GET /api/config': config,
  'POST /api/preflight': preflight
}
