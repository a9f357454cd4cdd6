/**
 * `broker init --nats <url>`: joins the team on that NATS server. Loaded (with everything NATS)
 * only when the flag or RELAY_NATS_URL is given.
 */
import type { Logger } from 'pino'
import type { Hub } from '../hub/types.js'
import { NatsHub } from '../hub/nats/hub.js'
import { NatsSettingsError, resolveSettings, serverOf } from '../hub/nats/options.js'
import { flagString, UsageError, type ParsedArgs } from './args.js'

export async function joinTeam(url: string, args: ParsedArgs, brokerName: string, log: Logger): Promise<Hub> {
  let settings
  try {
    settings = resolveSettings({
      url,
      team: flagString(args, 'team'),
      node: flagString(args, 'node'),
      brokerName,
      env: process.env,
      flags: {
        token: flagString(args, 'nats-token'),
        user: flagString(args, 'nats-user'),
        password: flagString(args, 'nats-password'),
        creds: flagString(args, 'nats-creds'),
        tlsCa: flagString(args, 'nats-tls-ca'),
        tlsCert: flagString(args, 'nats-tls-cert'),
        tlsKey: flagString(args, 'nats-tls-key')
      }
    })
  } catch (err) {
    if (err instanceof NatsSettingsError) throw new UsageError(err.message)
    throw err
  }
  try {
    return await NatsHub.connect(settings, log)
  } catch (err) {
    throw new Error(`cannot join team '${settings.team}' on ${serverOf(url)}: ${(err as Error).message}`)
  }
}
