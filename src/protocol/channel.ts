/**
 * A frame channel over a pair of byte streams (a child's stdio). Incoming bytes are decoded
 * and validated against one direction's schema; outgoing frames are validated against the
 * other direction's schema before they are written (`send_frame` / `send_event`).
 */
import type { Readable, Writable } from 'node:stream'
import type * as z from 'zod'
import { encodeFrame, envelope, FrameDecoder } from './codec.js'
import { FrameError } from './errors.js'
import {
  BROKER_TO_WORKER_TYPES,
  brokerToWorkerSchema,
  workerToBrokerSchema,
  type BrokerToWorkerFrame,
  type WorkerToBrokerFrame
} from './frames.js'

export interface ChannelOptions<In, Out> {
  input: Readable
  output: Writable
  inSchema: z.ZodType<In>
  inTypes: readonly string[]
  outSchema: z.ZodType<Out>
  onFrame: (frame: In) => void
  onError: (err: FrameError) => void
  /** The input stream ended (the peer closed its side or died). */
  onEnd: () => void
  /** Writing failed (EPIPE: the peer is gone). */
  onOutputError?: () => void
  maxFrameBytes?: number
}

export class FrameChannel<In, Out extends { type: string; payload: unknown }> {
  readonly #output: Writable
  readonly #outSchema: z.ZodType<Out>
  readonly #decoder: FrameDecoder<In>
  #closed = false
  #inputDetached = false

  constructor(opts: ChannelOptions<In, Out>) {
    this.#output = opts.output
    this.#outSchema = opts.outSchema
    this.#decoder = new FrameDecoder<In>({
      schema: opts.inSchema,
      knownTypes: opts.inTypes,
      onFrame: opts.onFrame,
      onError: opts.onError,
      ...(opts.maxFrameBytes !== undefined ? { maxFrameBytes: opts.maxFrameBytes } : {})
    })
    opts.input.on('data', (chunk: Buffer) => {
      if (!this.#inputDetached) this.#decoder.push(chunk)
    })
    opts.input.on('end', () => {
      if (this.#inputDetached) return
      this.#decoder.end()
      opts.onEnd()
    })
    opts.input.on('error', () => {
      if (!this.#inputDetached) opts.onEnd()
    })
    opts.output.on('error', () => {
      this.#closed = true
      opts.onOutputError?.()
    })
  }

  /** Bytes accepted by `send` that the operating system has not taken yet. */
  get pendingBytes(): number {
    return this.#output.writableLength
  }

  get closed(): boolean {
    return this.#closed || this.#output.destroyed || this.#output.writableEnded
  }

  /**
   * Validates and writes one frame. Returns false when the frame could not be written at all
   * (channel closed); never blocks. An invalid frame is a programming error and throws.
   */
  send<T extends Out['type']>(type: T, payload: Extract<Out, { type: T }>['payload'], requestId: string | null = null): boolean {
    const bytes = this.encode(type, payload, requestId)
    return this.writeEncoded(bytes)
  }

  /** Validates and encodes one frame without sending it (an invalid frame throws, as in `send`). */
  encode<T extends Out['type']>(type: T, payload: Extract<Out, { type: T }>['payload'], requestId: string | null = null): Buffer {
    const frame = envelope(type, payload, requestId)
    const checked = this.#outSchema.safeParse(frame)
    if (!checked.success) {
      throw new FrameError('invalid_outgoing_frame', `refusing to send invalid ${type} frame: ${checked.error.message}`, {
        frameType: type,
        requestId
      })
    }
    return encodeFrame(checked.data)
  }

  /** Writes a frame `encode` made; false when the channel is closed. */
  writeEncoded(bytes: Buffer): boolean {
    if (this.closed) return false
    this.#output.write(bytes)
    return true
  }

  /** Resolves once everything written so far was handed to the OS (or after `timeoutMs`). */
  drain(timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs)
      this.#output.write('', () => {
        clearTimeout(t)
        resolve()
      })
    })
  }

  /** Stops reading: later input is ignored. */
  detachInput(): void {
    this.#inputDetached = true
  }

  close(): void {
    if (this.closed) return
    this.#closed = true
    this.#output.end()
  }
}

/**
 * The child's end of the frame channel: broker→worker frames on stdin, worker→broker frames on
 * stdout (and nothing else may write to stdout). Both `broker pty` and `broker headless` use it.
 */
export function openWorkerChannel(
  handlers: {
    onFrame: (frame: BrokerToWorkerFrame) => void
    onError: (err: FrameError) => void
    onEnd: () => void
    onOutputError?: () => void
  },
  input: Readable = process.stdin,
  output: Writable = process.stdout
): FrameChannel<BrokerToWorkerFrame, WorkerToBrokerFrame> {
  return new FrameChannel<BrokerToWorkerFrame, WorkerToBrokerFrame>({
    input,
    output,
    inSchema: brokerToWorkerSchema,
    inTypes: BROKER_TO_WORKER_TYPES,
    outSchema: workerToBrokerSchema,
    ...handlers
  })
}
