/**
 * Length-prefixed msgpack frames: a 4-byte big-endian body length, then one msgpack value.
 *
 * `FrameDecoder` is an explicit state machine (after `ws`'s Receiver):
 *   HEADER  — waiting for 4 length bytes
 *   BODY    — waiting for `length` body bytes
 *   FAILED  — the framing is lost (oversize length); every later byte is ignored
 * A body that is not msgpack, or msgpack that fails the schema, is skipped: its length
 * was known, so the next frame still starts at a known offset and decoding continues.
 */
import { Packr } from 'msgpackr/pack'
import { Unpackr } from 'msgpackr/unpack'
import type * as z from 'zod'
import { FRAME_HEADER_BYTES, FRAME_MAX_BYTES, PROTOCOL_VERSION } from './constants.js'
import { FrameError } from './errors.js'

const packr = new Packr({ useRecords: false, variableMapSize: true })
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' })

const STATE_HEADER = 0
const STATE_BODY = 1
const STATE_FAILED = 2

export interface DecoderOptions<F> {
  schema: z.ZodType<F>
  /** Names of the frame types the schema knows, to tell `unknown_type` from `invalid_payload`. */
  knownTypes: readonly string[]
  onFrame: (frame: F) => void
  onError: (err: FrameError) => void
  maxFrameBytes?: number
}

export class FrameDecoder<F> {
  readonly #schema: z.ZodType<F>
  readonly #knownTypes: ReadonlySet<string>
  readonly #onFrame: (frame: F) => void
  readonly #onError: (err: FrameError) => void
  readonly #maxFrameBytes: number
  #state = STATE_HEADER
  #chunks: Buffer[] = []
  #buffered = 0
  #bodyLength = 0

  constructor(opts: DecoderOptions<F>) {
    this.#schema = opts.schema
    this.#knownTypes = new Set(opts.knownTypes)
    this.#onFrame = opts.onFrame
    this.#onError = opts.onError
    this.#maxFrameBytes = opts.maxFrameBytes ?? FRAME_MAX_BYTES
  }

  get failed(): boolean {
    return this.#state === STATE_FAILED
  }

  /** Bytes received but not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.#buffered
  }

  push(chunk: Buffer): void {
    if (this.#state === STATE_FAILED || chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
    for (;;) {
      if (this.#state === STATE_HEADER) {
        if (this.#buffered < FRAME_HEADER_BYTES) return
        const header = this.#consume(FRAME_HEADER_BYTES)
        const length = header.readUInt32BE(0)
        if (length > this.#maxFrameBytes) {
          this.#fail(
            new FrameError('frame_too_large', `frame of ${length} bytes exceeds the limit of ${this.#maxFrameBytes}`, {
              fatal: true
            })
          )
          return
        }
        this.#bodyLength = length
        this.#state = STATE_BODY
      } else if (this.#state === STATE_BODY) {
        if (this.#buffered < this.#bodyLength) return
        const body = this.#consume(this.#bodyLength)
        this.#state = STATE_HEADER
        this.#deliver(body)
      } else {
        return
      }
    }
  }

  /** End of stream: leftover bytes are a truncated frame. */
  end(): void {
    if (this.#state === STATE_FAILED) return
    if (this.#buffered > 0 || this.#state === STATE_BODY) {
      const have = this.#buffered
      const want = this.#state === STATE_BODY ? this.#bodyLength : FRAME_HEADER_BYTES
      this.#fail(new FrameError('truncated_frame', `stream ended inside a frame (${have} of ${want} bytes)`, { fatal: true }))
    }
  }

  #fail(err: FrameError): void {
    this.#state = STATE_FAILED
    this.#chunks = []
    this.#buffered = 0
    this.#onError(err)
  }

  #consume(n: number): Buffer {
    // A zero-length body may follow a header that ended the last chunk: #chunks is empty then.
    if (n === 0) return Buffer.alloc(0)
    this.#buffered -= n
    const first = this.#chunks[0]!
    if (n === first.length) return this.#chunks.shift()!
    if (n < first.length) {
      this.#chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const out = Buffer.allocUnsafe(n)
    let offset = 0
    while (offset < n) {
      const buf = this.#chunks[0]!
      const take = Math.min(buf.length, n - offset)
      buf.copy(out, offset, 0, take)
      offset += take
      if (take === buf.length) this.#chunks.shift()
      else this.#chunks[0] = buf.subarray(take)
    }
    return out
  }

  #deliver(body: Buffer): void {
    let value: unknown
    try {
      value = unpackr.unpack(body)
    } catch (err) {
      this.#onError(new FrameError('invalid_frame', `frame body is not msgpack: ${(err as Error).message}`))
      return
    }
    const parsed = this.#schema.safeParse(value)
    if (parsed.success) {
      this.#onFrame(parsed.data)
      return
    }
    this.#onError(classify(value, this.#knownTypes, parsed.error))
  }
}

function classify(value: unknown, knownTypes: ReadonlySet<string>, error: z.ZodError): FrameError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new FrameError('invalid_frame', 'frame is not an envelope object {v, type, request_id, payload}')
  }
  const env = value as Record<string, unknown>
  const requestId = typeof env.request_id === 'string' ? env.request_id : null
  const type = typeof env.type === 'string' ? env.type : null
  const opts = { requestId, frameType: type }
  if (type === null || typeof env.v !== 'number' || typeof env.payload !== 'object' || env.payload === null) {
    return new FrameError('invalid_frame', 'envelope needs numeric v, string type and object payload', opts)
  }
  if (!knownTypes.has(type)) return new FrameError('unknown_type', `unsupported message type '${type}'`, opts)
  const detail = error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ')
  const code = type === 'deliver_relay' ? 'invalid_delivery' : 'invalid_payload'
  return new FrameError(code, `invalid ${type} payload: ${detail}`, opts)
}

/** Encodes one frame: header and body in a single buffer. */
export function encodeFrame(frame: unknown): Buffer {
  const body = packr.pack(frame)
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length)
  out.writeUInt32BE(body.length, 0)
  body.copy(out, FRAME_HEADER_BYTES)
  return out
}

/** Builds an envelope. */
export function envelope<T extends string, P>(type: T, payload: P, requestId: string | null = null) {
  return { v: PROTOCOL_VERSION, type, request_id: requestId, payload }
}
