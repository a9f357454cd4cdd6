/**
 * The one base class of the broker's errors. A `BrokerError` knows its code and, through the
 * catalogue (catalogue.ts), its HTTP status; the API renders it in one place (src/api/reply.ts).
 */
import { ERROR_CATALOGUE, fillTemplate, type ErrorCode } from './catalogue.js'

/**
 * The API's error-body shapes (docs/errors.md): `A` is `{success: false, ...details, error,
 * code, message}` (the routes that answer `success`), `B` is `{code, message}`, `C` is
 * `{error: {code, message, retryable: false, statusCode}}` (a refused credential). Routes choose.
 */
export type ErrorFamily = 'A' | 'B' | 'C'

export interface BrokerErrorOptions {
  /** Fields a client can read: family A bodies carry them at the top level. */
  details?: Record<string, unknown>
  /** When the caller may try again (the API sends it as `retry-after`, in whole seconds). */
  retryAfterMs?: number
  family?: ErrorFamily
  cause?: unknown
}

export class BrokerError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly details: Readonly<Record<string, unknown>>
  readonly retryAfterMs: number | undefined
  readonly family: ErrorFamily

  /** `message` is the text itself, or the values that fill the catalogue's template. */
  constructor(code: ErrorCode, message: string | Record<string, string | number> = {}, opts: BrokerErrorOptions = {}) {
    const template = ERROR_CATALOGUE[code].message
    super(typeof message === 'string' ? message : fillTemplate(template, message), opts.cause !== undefined ? { cause: opts.cause } : undefined)
    this.name = new.target.name
    this.code = code
    this.status = ERROR_CATALOGUE[code].status
    this.details = opts.details ?? {}
    this.retryAfterMs = opts.retryAfterMs
    this.family = opts.family ?? 'B'
  }

  /** The same error answered in `family`, with `details` added (a route's view of a domain error). */
  inFamily(family: ErrorFamily, details: Record<string, unknown> = {}): BrokerError {
    return new BrokerError(this.code, this.message, {
      details: { ...this.details, ...details },
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
      family,
      cause: this
    })
  }
}

/**
 * An error code another process answered with (the broker, seen from the CLI or the MCP server):
 * it may be a code of a newer broker, so it is a string, and the status is what came over the wire.
 */
export class RemoteError extends Error {
  readonly code: string
  readonly status: number
  constructor(code: string, status: number, message: string) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.status = status
  }
}
