/**
 * Delivery routes: a delivery's stage and history, dead letters (list, redeliver), and the
 * inbound delivery mode with its parked messages.
 */
import * as z from 'zod'
import type { DeliveryRecord } from '../../supervisor/delivery/tracker.js'
import { apiError, sendJson } from '../reply.js'
import type { RouteContext, Routes } from '../router.js'
import { readJson } from '../validate.js'

const modeSchema = z.object({
  mode: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(['auto_inject', 'manual_flush']))
})

/** The public view of a delivery. */
export function deliveryView(r: DeliveryRecord) {
  return {
    delivery_id: r.delivery_id,
    event_id: r.event_id,
    name: r.agent,
    from: r.from,
    to: r.to,
    stage: r.stage,
    reason: r.reason,
    priority: r.priority,
    mode: r.injection_mode,
    thread_id: r.thread_id,
    attempts: r.attempts,
    created_at: new Date(r.created_at).toISOString(),
    deadline_at: new Date(r.deadline_ms).toISOString(),
    redelivered_as: r.redelivered_as,
    ...(r.node !== undefined ? { node: r.node } : {}),
    ...(r.origin !== undefined ? { origin: r.origin } : {}),
    history: r.history.map((h) => ({ stage: h.stage, at: new Date(h.at).toISOString(), ...(h.reason ? { reason: h.reason } : {}) }))
  }
}

/** A parked message as `GET …/pending` lists it (optional keys only when set). */
function pendingView(r: DeliveryRecord) {
  return {
    from: r.from,
    body: r.body,
    target: r.to,
    priority: r.priority,
    mode: r.injection_mode,
    queued_at_ms: r.created_at,
    ...(r.thread_id ? { thread_id: r.thread_id } : {}),
    workspace_id: 'local',
    event_id: r.event_id,
    delivery_id: r.delivery_id
  }
}

function getDelivery(ctx: RouteContext): void {
  const rec = ctx.rt.deliveries.get(ctx.params.id!)
  if (!rec) throw apiError('delivery_not_found', `delivery_not_found: no delivery with id '${ctx.params.id}'`)
  sendJson(ctx.res, 200, deliveryView(rec))
}

function listDeliveries(ctx: RouteContext): void {
  const name = ctx.url.searchParams.get('name')
  const out = []
  for (const r of ctx.rt.deliveries.openRecords()) if (!name || r.agent === name) out.push(deliveryView(r))
  sendJson(ctx.res, 200, { deliveries: out })
}

function listDeadLetters(ctx: RouteContext): void {
  const name = ctx.url.searchParams.get('name')
  const out = []
  for (const r of ctx.rt.deliveries.deadLetters()) if (!name || r.agent === name) out.push(deliveryView(r))
  sendJson(ctx.res, 200, { dead_letters: out })
}

const redeliverSchema = z.object({ force: z.boolean().optional() }).optional()

async function redeliver(ctx: RouteContext): Promise<void> {
  const raw = await readJson(ctx.req, 'B')
  const parsed = redeliverSchema.safeParse(raw ?? undefined)
  if (!parsed.success) throw apiError('invalid_request', 'body: expected {"force"?: boolean}')
  const force = parsed.data?.force === true || ctx.url.searchParams.get('force') === 'true'
  const { record: rec, forced, warning } = ctx.rt.messaging.redeliver(ctx.params.id!, force)
  sendJson(ctx.res, 200, {
    success: true,
    delivery_id: rec.delivery_id,
    redelivery_of: ctx.params.id,
    name: rec.agent,
    event_id: rec.event_id,
    forced,
    ...(warning ? { warning } : {})
  })
}

function getMode(ctx: RouteContext): void {
  sendJson(ctx.res, 200, { mode: ctx.rt.messaging.modes.get(ctx.params.name!) })
}

async function putMode(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req, 'B')
  const raw = (body as { mode?: unknown } | undefined)?.mode
  if (typeof raw !== 'string') throw apiError('invalid_request', 'mode: expected a string')
  const parsed = modeSchema.safeParse({ mode: raw })
  if (!parsed.success) {
    throw apiError('invalid_mode', `unsupported inbound delivery mode '${raw}' (expected 'auto_inject' or 'manual_flush')`)
  }
  const mode = parsed.data.mode
  const result = ctx.rt.messaging.modes.set(ctx.params.name!, mode)
  sendJson(ctx.res, 200, { mode, flushed: result.flushed })
}

function pending(ctx: RouteContext): void {
  sendJson(ctx.res, 200, { pending: ctx.rt.messaging.modes.pending(ctx.params.name!).map(pendingView) })
}

function flush(ctx: RouteContext): void {
  sendJson(ctx.res, 200, { flushed: ctx.rt.messaging.modes.flush(ctx.params.name!) })
}

export const deliveryRoutes: Routes = {
  'GET /api/deliveries': listDeliveries,
  'GET /api/deliveries/:id': getDelivery,
  'GET /api/dead-letters': listDeadLetters,
  'POST /api/dead-letters/:id/redeliver': redeliver,
  'GET /api/spawned/:name/delivery-mode': getMode,
  'PUT /api/spawned/:name/delivery-mode': putMode,
  'GET /api/spawned/:name/pending': pending,
  'POST /api/spawned/:name/flush': flush
}
