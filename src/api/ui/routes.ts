/** `POST /api/observer-token` (admin key only) and `GET /api/whoami` (which role a credential has). */
import * as z from 'zod'
import { apiError, sendJson } from '../reply.js'
import type { RouteContext, Routes } from '../router.js'
import { readJson, validate } from '../validate.js'
import { OBSERVER_TOKEN_DEFAULT_TTL_SECS, OBSERVER_TOKEN_MAX_TTL_SECS, observerTokensFor } from './observer-tokens.js'

const tokenRequest = z
  .object({
    ttl_secs: z.number().int().positive().max(OBSERVER_TOKEN_MAX_TTL_SECS).optional(),
    label: z.string().max(200).optional()
  })
  .strict()

async function issue(ctx: RouteContext): Promise<void> {
  if (ctx.role !== 'admin') throw apiError('forbidden', 'only the API key can issue observer tokens')
  const body = validate(tokenRequest, (await readJson(ctx.req, 'B')) ?? {}, 'B')
  const ttl = body.ttl_secs ?? OBSERVER_TOKEN_DEFAULT_TTL_SECS
  const { token, expiresAt } = observerTokensFor(ctx.rt).issue(ttl, body.label ?? null)
  sendJson(ctx.res, 200, {
    token,
    role: 'observer',
    expires_at: new Date(expiresAt).toISOString(),
    expires_in_secs: ttl,
    url: `${ctx.rt.url}/ui/#key=${encodeURIComponent(token)}`
  })
}

export const uiRoutes: Routes = {
  'POST /api/observer-token': issue,
  'GET /api/whoami': (ctx) => sendJson(ctx.res, 200, { role: ctx.role ?? 'admin', broker: ctx.rt.config.name })
}
