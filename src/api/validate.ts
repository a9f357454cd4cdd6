/** Request bodies: size limit (413), JSON parsing (400), zod validation at the edge. */
import type { IncomingMessage } from 'node:http'
import type * as z from 'zod'
import { nameProblem } from '../protocol/names.js'
import type { BrokerError, ErrorFamily } from '../errors/index.js'
import { apiError, zodProblems } from './reply.js'

/** Largest HTTP request body; larger bodies get 413. */
export const API_BODY_MAX_BYTES = 2 * 1024 * 1024

/** After a 413, the rest of the body is read and dropped up to this much, so the client can read the answer. */
export const REJECTED_BODY_DRAIN_MAX_BYTES = 64 * 1024 * 1024
/** …and for at most this long; then the connection is closed. */
export const REJECTED_BODY_DRAIN_MAX_MS = 15_000

/**
 * Reads and drops what is left of a rejected request body (bounded by size and time), then lets
 * the connection close. Destroying the socket at once would make clients that are still sending
 * (Node's fetch) see ECONNRESET instead of the 413.
 */
export function drainRejectedBody(req: IncomingMessage): void {
  let drained = 0
  const timer = setTimeout(() => req.destroy(), REJECTED_BODY_DRAIN_MAX_MS)
  timer.unref()
  const stop = (): void => clearTimeout(timer)
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length
    if (drained > REJECTED_BODY_DRAIN_MAX_BYTES) {
      stop()
      req.destroy()
    }
  })
  req.once('end', stop)
  req.once('close', stop)
  req.resume()
}

export function readBody(req: IncomingMessage, limit = API_BODY_MAX_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN)
    if (Number.isFinite(declared) && declared > limit) {
      req.resume()
      reject(apiError('payload_too_large', `request body of ${declared} bytes exceeds the limit of ${limit} bytes`))
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    req.on('data', (chunk: Buffer) => {
      if (over) return
      size += chunk.length
      if (size > limit) {
        over = true
        reject(apiError('payload_too_large', `request body exceeds the limit of ${limit} bytes`))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks))
    })
    req.on('error', reject)
  })
}

/** Parses a JSON body; an empty body is `undefined`. */
export async function readJson(req: IncomingMessage, family: ErrorFamily): Promise<unknown> {
  const raw = await readBody(req)
  if (raw.length === 0) return undefined
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch (err) {
    throw apiError('invalid_json', `request body is not valid JSON: ${(err as Error).message}`, family)
  }
}

/** Validates with zod; failures become 400 with the first problems named. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, family: ErrorFamily): T {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  throw apiError('invalid_request', zodProblems(parsed.error), family)
}

/** The first of several spellings present in `body`. */
export function alias(body: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (k in body) return body[k]
  return undefined
}

/** A required field is missing (400 `invalid_request`). */
export function missingField(family: ErrorFamily, message: string): BrokerError {
  return apiError('invalid_request', message, family)
}

/** Throws 400 `invalid_name` naming the field and the rule when `value` is not a valid `schema` name (src/protocol/names.ts). */
export function checkName(schema: z.ZodType, value: unknown, field: string, family: ErrorFamily): void {
  const problem = nameProblem(schema, value)
  if (problem !== null) throw apiError('invalid_name', `${field}: ${problem}`, family)
}
