/** Request bodies: size limit (413), JSON parsing (400), zod validation at the edge. */
import type { IncomingMessage } from 'node:http'
import type { z } from 'zod'
import { API_BODY_MAX_BYTES } from '../protocol/constants.js'
import { ApiError } from './reply.js'

export function readBody(req: IncomingMessage, limit = API_BODY_MAX_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN)
    if (Number.isFinite(declared) && declared > limit) {
      req.resume()
      reject(new ApiError(413, 'payload_too_large', `request body of ${declared} bytes exceeds the limit of ${limit} bytes`))
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
        reject(new ApiError(413, 'payload_too_large', `request body exceeds the limit of ${limit} bytes`))
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
export async function readJson(req: IncomingMessage, family: 'A' | 'B'): Promise<unknown> {
  const raw = await readBody(req)
  if (raw.length === 0) return undefined
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `request body is not valid JSON: ${(err as Error).message}`, family)
  }
}

/** Validates with zod; failures become 400 with the first problems named. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, family: 'A' | 'B'): T {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const detail = parsed.error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ')
  throw new ApiError(400, 'invalid_request', detail, family)
}

/** The first of several spellings present in `body` (api.md: the first key present wins). */
export function alias(body: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (k in body) return body[k]
  return undefined
}

export const ApiErrorFor = {
  missing(family: 'A' | 'B', message: string): ApiError {
    return new ApiError(400, 'invalid_request', message, family)
  }
}
