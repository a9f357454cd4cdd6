/**
 * How a broker joins a team: `broker init --nats <url>` (or RELAY_NATS_URL) with the NATS
 * server's credentials (token, user/password, creds file, TLS), the team name and this node's id.
 */
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { credsAuthenticator, type NodeConnectionOptions } from '@nats-io/transport-node'
import { NODE_ID_PATTERN, toId } from './names.js'
import { NatsSettingsError } from '../../errors/index.js'
export { NatsSettingsError } from '../../errors/index.js'

export interface NatsSettings {
  url: string
  team: string
  node: string
  token?: string
  user?: string
  password?: string
  /** A `.creds` file (JWT + nkey seed). */
  creds?: string
  tlsCa?: string
  tlsCert?: string
  tlsKey?: string
}

/** The team named by the URL's path (`nats://host:4222/alpha` → `alpha`), else `default`. */
export function teamFromUrl(url: string): string {
  try {
    const path = new URL(url.includes('://') ? url : `nats://${url}`).pathname.replace(/^\/+|\/+$/g, '')
    return path ? toId(path) : 'default'
  } catch {
    return 'default'
  }
}

/** The server part of the URL (the team path removed). */
export function serverOf(url: string): string {
  const withScheme = url.includes('://') ? url : `nats://${url}`
  try {
    const u = new URL(withScheme)
    u.pathname = ''
    return u.toString().replace(/\/$/, '')
  } catch {
    throw new NatsSettingsError(`--nats: not a URL: '${url}'`)
  }
}

export interface SettingsInput {
  url: string
  team?: string | undefined
  node?: string | undefined
  brokerName: string
  env: NodeJS.ProcessEnv
  flags: Partial<Record<'token' | 'user' | 'password' | 'creds' | 'tlsCa' | 'tlsCert' | 'tlsKey', string | undefined>>
}

export function resolveSettings(input: SettingsInput): NatsSettings {
  const env = input.env
  const team = input.team ?? env.RELAY_NATS_TEAM ?? teamFromUrl(input.url)
  if (!NODE_ID_PATTERN.test(team)) throw new NatsSettingsError(`team '${team}': use letters, digits, '-' or '_'`)
  const node = input.node ?? env.RELAY_NODE ?? toId(`${input.brokerName}-${hostname()}`)
  if (!NODE_ID_PATTERN.test(node)) throw new NatsSettingsError(`node '${node}': use letters, digits, '-' or '_'`)
  const pick = (flag: string | undefined, name: string) => flag ?? (env[name]?.trim() || undefined)
  const out: NatsSettings = { url: input.url, team, node }
  const f = input.flags
  const token = pick(f.token, 'RELAY_NATS_TOKEN')
  const user = pick(f.user, 'RELAY_NATS_USER')
  const password = pick(f.password, 'RELAY_NATS_PASSWORD')
  const creds = pick(f.creds, 'RELAY_NATS_CREDS')
  const tlsCa = pick(f.tlsCa, 'RELAY_NATS_TLS_CA')
  const tlsCert = pick(f.tlsCert, 'RELAY_NATS_TLS_CERT')
  const tlsKey = pick(f.tlsKey, 'RELAY_NATS_TLS_KEY')
  if (token) out.token = token
  if (user) out.user = user
  if (password) out.password = password
  if (creds) out.creds = creds
  if (tlsCa) out.tlsCa = tlsCa
  if (tlsCert) out.tlsCert = tlsCert
  if (tlsKey) out.tlsKey = tlsKey
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new NatsSettingsError('TLS client auth needs both a certificate and a key')
  return out
}

/** Connection options for the client: reconnect forever, credentials as given. */
export function connectionOptions(s: NatsSettings, reconnectWaitMs: number): NodeConnectionOptions {
  const opts: NodeConnectionOptions = {
    servers: serverOf(s.url),
    name: `relay-broker ${s.team}/${s.node}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: reconnectWaitMs,
    waitOnFirstConnect: false
  }
  if (s.token) opts.token = s.token
  if (s.user) opts.user = s.user
  if (s.password) opts.pass = s.password
  if (s.creds) opts.authenticator = credsAuthenticator(readFileSync(s.creds))
  if (s.tlsCa || s.tlsCert) {
    opts.tls = {
      ...(s.tlsCa ? { caFile: s.tlsCa } : {}),
      ...(s.tlsCert ? { certFile: s.tlsCert } : {}),
      ...(s.tlsKey ? { keyFile: s.tlsKey } : {})
    }
  }
  return opts
}
