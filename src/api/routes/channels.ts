/** `POST /api/spawned/{name}/subscribe` and `/unsubscribe`. */
import * as z from 'zod'
import { subscribeChannels, unsubscribeChannels } from '../../supervisor/agents/channels.js'
import { channelSchema } from '../../protocol/names.js'
import { sendJson } from '../reply.js'
import type { RouteContext, Routes } from '../router.js'
import { checkName, readJson, validate } from '../validate.js'

const channelsSchema = z.object({ channels: z.array(z.string()) })

function handler(op: typeof subscribeChannels) {
  return async (ctx: RouteContext): Promise<void> => {
    const body = validate(channelsSchema, await readJson(ctx.req, 'B'), 'B')
    const channels = body.channels.map((c) => c.trim()).filter((c) => c.length > 0)
    channels.forEach((c, i) => checkName(channelSchema, c, `channels.${i}`, 'B'))
    const change = op(ctx.rt, ctx.params.name!, channels)
    await ctx.rt.stateWritten()
    sendJson(ctx.res, 200, { name: change.name, channels: change.channels })
  }
}

export const channelRoutes: Routes = {
  'POST /api/spawned/:name/subscribe': handler(subscribeChannels),
  'POST /api/spawned/:name/unsubscribe': handler(unsubscribeChannels)
}
