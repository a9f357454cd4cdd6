/** API-key check: `X-API-Key` first, else `Authorization: Bearer <key>`; constant-time compare. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createHash, timingSafeEqual } from 'node:crypto'
import { BrokerError } from '../errors/index.js'
import { errorAnswer, sendJson } from './reply.js'

const UNAUTHORIZED_BODY = errorAnswer(new BrokerError('unauthorized', 'Missing or invalid API key', { family: 'C' })).body

/**
 * The credential a request presents: the named header (trimmed, if not empty) wins; otherwise
 * `Authorization: Bearer <value>` (exactly `Bearer `, one space).
 */
export function presentedCredential(req: IncomingMessage, header: 'x-api-key' | 'x-agent-token'): string | null {
  const value = req.headers[header]
  const x = (Array.isArray(value) ? value[0] : value)?.trim()
  if (x) return x
  const auth = req.headers.authorization
  if (auth && auth.startsWith('Bearer ')) {
    const token = auth.slice(7).trim()
    if (token) return token
  }
  return null
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

export class ApiKeyAuth {
  readonly #expected: Buffer
  constructor(apiKey: string) {
    this.#expected = digest(apiKey.trim())
  }

  presented(req: IncomingMessage): string | null {
    return presentedCredential(req, 'x-api-key')
  }

  check(req: IncomingMessage): boolean {
    const key = this.presented(req)
    return key !== null && this.matches(key)
  }

  /** Whether `key` is the API key (constant time). */
  matches(key: string): boolean {
    return timingSafeEqual(digest(key.trim()), this.#expected)
  }

  reject(res: ServerResponse): void {
    sendJson(res, 401, UNAUTHORIZED_BODY)
  }
}

export const UNAUTHORIZED_JSON = JSON.stringify(UNAUTHORIZED_BODY)
