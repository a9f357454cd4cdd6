/**
 * Response writers, and the one place an error becomes an HTTP answer (docs/errors.md): routes
 * throw catalogue errors (src/errors) and `errorAnswer` turns them, a zod validation error, a
 * worker's refusal or anything else into a status, headers and the JSON body clients parse.
 */
import type { ServerResponse } from 'node:http'
import { ZodError } from 'zod'
import { BrokerError, isErrorCode, type ErrorCode, type ErrorFamily } from '../errors/index.js'
import { WorkerRequestError } from '../supervisor/worker/handle.js'

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-length': '0', ...headers })
  res.end()
}

export interface ErrorAnswer {
  status: number
  headers: Record<string, string>
  body: Record<string, unknown>
}

/** Worker refusals a client sees under their own code; other `invalid_*` are `invalid_request`, the rest `request_failed`. */
const WORKER_CODES_PASSED_ON = new Set(['worker_timeout', 'worker_disappeared', 'agent_not_found', 'unsupported_operation', 'unsupported_runtime', 'internal_error'])

/** A worker's refusal of a request (a `worker_error` frame, a timeout, an exit) as a catalogue error. */
export function fromWorkerError(err: WorkerRequestError): BrokerError {
  const code = WORKER_CODES_PASSED_ON.has(err.code) && isErrorCode(err.code) ? err.code : err.code.startsWith('invalid_') ? 'invalid_request' : 'request_failed'
  return new BrokerError(code, err.message, { cause: err })
}

/** The first problems of a failed zod validation, for a 400 `invalid_request`. */
export function zodProblems(error: ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ')
}

function bodyOf(err: BrokerError): Record<string, unknown> {
  if (err.family === 'A') return { success: false, ...err.details, error: err.message, code: err.code, message: err.message }
  if (err.family === 'C') return { error: { code: err.code, message: err.message, retryable: false, statusCode: err.status } }
  return { code: err.code, message: err.message }
}

/**
 * What the API answers for `err`. Catalogue errors: their status and the body of the family the
 * route chose (`ErrorFamily`, src/errors/broker-error.ts), with
 * `retry-after` when they say when to retry. Anything else is a 500 `internal_error` that names
 * the message only (never a stack).
 */
export function errorAnswer(err: unknown): ErrorAnswer {
  const e = err instanceof WorkerRequestError ? fromWorkerError(err) : err instanceof ZodError ? new BrokerError('invalid_request', zodProblems(err)) : err
  if (e instanceof BrokerError) {
    const headers: Record<string, string> = e.retryAfterMs !== undefined ? { 'retry-after': String(Math.ceil(e.retryAfterMs / 1000)) } : {}
    return { status: e.status, headers, body: bodyOf(e) }
  }
  const message = e instanceof Error && typeof e.message === 'string' ? e.message : 'internal error'
  return { status: 500, headers: {}, body: { code: 'internal_error', message } }
}

export function sendError(res: ServerResponse, err: unknown): ErrorAnswer {
  const answer = errorAnswer(err)
  sendJson(res, answer.status, answer.body, answer.headers)
  return answer
}

/** A catalogue error answered in `family` (the route's body shape). */
export function apiError(code: ErrorCode, message: string, family: ErrorFamily = 'B', details: Record<string, unknown> = {}): BrokerError {
  return new BrokerError(code, message, { family, details })
}

type ErrorClass = abstract new (...args: never[]) => BrokerError

/**
 * Awaits `action` of a route that answers in family A: a catalogue error of one of `kinds` is
 * answered in family A, with those of `details` it does not carry itself.
 */
export async function orFamilyA<T>(action: Promise<T>, kinds: readonly ErrorClass[], details: Record<string, unknown> = {}): Promise<T> {
  try {
    return await action
  } catch (err) {
    if (err instanceof BrokerError && kinds.some((k) => err instanceof k)) throw err.inFamily('A', { ...details, ...err.details })
    throw err
  }
}
