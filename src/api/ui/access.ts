/**
 * Who a request is: `admin` (the API key), `observer` (a read-only token) or nobody. Browsers
 * cannot set headers on a WebSocket, so `/ws` also takes the credential as a subprotocol,
 * `relay.key.<base64url(key)>`, offered next to `relay.v1` (the one the server selects); the key
 * never goes into a URL (docs/security.md).
 */
import type { IncomingMessage } from 'node:http'
import { presentedCredential, type ApiKeyAuth } from '../auth.js'
import type { ObserverTokens } from './observer-tokens.js'
import { BrokerError } from '../../errors/index.js'
import { errorAnswer } from '../reply.js'

export type Role = 'admin' | 'observer'

export const WS_SUBPROTOCOL = 'relay.v1'
export const WS_KEY_SUBPROTOCOL_PREFIX = 'relay.key.'

export const READ_ONLY_BODY = JSON.stringify(errorAnswer(new BrokerError('forbidden', 'observer tokens are read-only: this route changes state')).body)

/** The key carried in `Sec-WebSocket-Protocol`, if any. */
export function subprotocolKey(req: IncomingMessage): string | null {
  const header = req.headers['sec-websocket-protocol']
  if (typeof header !== 'string') return null
  for (const p of header.split(',')) {
    const t = p.trim()
    if (!t.startsWith(WS_KEY_SUBPROTOCOL_PREFIX)) continue
    try {
      const key = Buffer.from(t.slice(WS_KEY_SUBPROTOCOL_PREFIX.length), 'base64url').toString('utf8').trim()
      if (key) return key
    } catch {
      return null
    }
  }
  return null
}

export function roleOf(req: IncomingMessage, auth: ApiKeyAuth, observers: ObserverTokens, upgrade = false): Role | null {
  if (auth.check(req)) return 'admin'
  const presented = presentedCredential(req, 'x-api-key')
  if (observers.check(presented)) return 'observer'
  if (upgrade) {
    const key = subprotocolKey(req)
    if (key !== null) {
      if (auth.matches(key)) return 'admin'
      if (observers.check(key)) return 'observer'
    }
  }
  return null
}

/** What an observer may call: reads only. */
export function observerMay(method: string): boolean {
  return method === 'GET' || method === 'HEAD'
}

/** `handleProtocols` for the WebSocket servers: select `relay.v1` when offered, never the key. */
export function selectProtocol(protocols: Set<string>): string | false {
  return protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false
}
