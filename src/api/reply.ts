/** Response writers for the API's error families and JSON bodies. */
import type { ServerResponse } from 'node:http'

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-length': '0', ...headers })
  res.end()
}

/** Family A (`{success:false, error}`), with `code` and `message` added for clients that read those. */
export function sendErrorA(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  sendJson(res, status, { success: false, ...extra, error: message, code, message })
}

/** Family B (`{code, message}`). */
export function sendErrorB(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { code, message })
}

/** An error thrown by a route handler and rendered in the route's family. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly family: 'A' | 'B'
  readonly extra: Record<string, unknown>
  constructor(status: number, code: string, message: string, family: 'A' | 'B' = 'B', extra: Record<string, unknown> = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.family = family
    this.extra = extra
  }

  send(res: ServerResponse): void {
    const retryAfter = this.extra.retry_after_secs
    if (typeof retryAfter === 'number' && !res.headersSent) res.setHeader('retry-after', String(retryAfter))
    if (this.family === 'A') sendErrorA(res, this.status, this.code, this.message, this.extra)
    else sendErrorB(res, this.status, this.code, this.message)
  }
}
