/**
 * The length-prefixed msgpack codec (`FrameDecoder`, `encodeFrame`) and `FrameChannel`:
 * framing across chunk boundaries, end of stream, oversize and malformed bodies, fuzzing,
 * and a channel end-to-end over real streams.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { PassThrough } from 'node:stream'
import type { z } from 'zod'
import { FRAME_ERROR_CODES } from '../../src/protocol/errors.js'
import {
  BROKER_TO_WORKER_TYPES,
  brokerToWorkerSchema,
  encodeFrame,
  envelope,
  FRAME_HEADER_BYTES,
  FRAME_MAX_BYTES,
  FrameChannel,
  FrameDecoder,
  FrameError,
  WORKER_TO_BROKER_TYPES,
  workerToBrokerSchema,
  type BrokerToWorkerFrame,
  type FrameErrorCode,
  type WorkerToBrokerFrame
} from '../../src/protocol/index.js'

// ── helpers ──────────────────────────────────────────────────────────────────

const KNOWN_CODES: ReadonlySet<string> = new Set<string>(FRAME_ERROR_CODES)
/** Codes after which the decoder stops for good. */
const FATAL_CODES: ReadonlySet<FrameErrorCode> = new Set<FrameErrorCode>(['frame_too_large', 'truncated_frame'])

interface Collected<F> {
  decoder: FrameDecoder<F>
  frames: F[]
  errors: FrameError[]
  /** `decoder.push`, asserting it does not throw. */
  push: (buf: Buffer) => void
  /** `decoder.end`, asserting it does not throw. */
  end: () => void
}

function collect<F>(schema: z.ZodType<F>, knownTypes: readonly string[], maxFrameBytes?: number): Collected<F> {
  const frames: F[] = []
  const errors: FrameError[] = []
  const decoder = new FrameDecoder<F>({
    schema,
    knownTypes,
    onFrame: (f) => frames.push(f),
    onError: (e) => errors.push(e),
    ...(maxFrameBytes !== undefined ? { maxFrameBytes } : {})
  })
  return {
    decoder,
    frames,
    errors,
    push: (buf) => assert.doesNotThrow(() => decoder.push(buf)),
    end: () => assert.doesNotThrow(() => decoder.end())
  }
}

/** The decoder of the `broker pty` child: broker → worker frames. */
const workerSide = (maxFrameBytes?: number) =>
  collect<BrokerToWorkerFrame>(brokerToWorkerSchema, BROKER_TO_WORKER_TYPES, maxFrameBytes)

function onlyError(errors: FrameError[]): FrameError {
  assert.equal(errors.length, 1, `expected exactly one error, got [${errors.map((e) => e.code).join(', ')}]`)
  const err = errors[0]!
  assert.ok(err instanceof FrameError)
  return err
}

const pingEnv = (ts: number, requestId: string | null = null) => envelope('ping', { ts_ms: ts }, requestId)
const ping = (ts: number, requestId: string | null = null) => encodeFrame(pingEnv(ts, requestId))

/** A frame around an arbitrary body, with a correct length prefix. */
function rawFrame(body: Buffer | number[]): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body)
  const header = Buffer.alloc(FRAME_HEADER_BYTES)
  header.writeUInt32BE(b.length, 0)
  return Buffer.concat([header, b])
}

/** A header announcing `length` bytes, with no body. */
function header(length: number): Buffer {
  const h = Buffer.alloc(FRAME_HEADER_BYTES)
  h.writeUInt32BE(length, 0)
  return h
}

/** A richer frame than a ping, so that splits land inside strings and nested maps. */
const deliveryEnv = envelope(
  'deliver_relay',
  {
    delivery_id: 'del_7',
    event_id: 'evt_7',
    from: 'bob',
    target: 'alice',
    body: 'split me — 🧩 across chunks',
    thread_id: null,
    injection_mode: 'wait' as const
  },
  'req-split'
)

/** Seeded PRNG (mulberry32) so the fuzz loop is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// ── encodeFrame ──────────────────────────────────────────────────────────────

describe('encodeFrame', () => {
  test('writes a 4-byte big-endian body length in front of the body', () => {
    const frame = ping(1)
    assert.ok(frame.length > FRAME_HEADER_BYTES)
    assert.equal(frame.readUInt32BE(0), frame.length - FRAME_HEADER_BYTES)
  })
})

// ── chunking ─────────────────────────────────────────────────────────────────

describe('FrameDecoder chunking', () => {
  test('a frame split in two at every byte offset (including inside the header) decodes once', () => {
    const frame = encodeFrame(deliveryEnv)
    for (let i = 0; i <= frame.length; i++) {
      const { frames, errors, push, decoder } = workerSide()
      push(frame.subarray(0, i))
      if (i < frame.length) assert.equal(frames.length, 0, `frame delivered early at offset ${i}`)
      push(frame.subarray(i))
      assert.deepEqual(errors, [], `errors at offset ${i}`)
      assert.deepEqual(frames, [deliveryEnv], `offset ${i}`)
      assert.equal(decoder.bufferedBytes, 0)
    }
  })

  test('two frames split in three at every pair of offsets decode in order', () => {
    const a = ping(1, 'a')
    const b = ping(2, 'b')
    const both = Buffer.concat([a, b])
    for (let i = 0; i <= both.length; i++) {
      for (let j = i; j <= both.length; j++) {
        const { frames, errors, push } = workerSide()
        push(both.subarray(0, i))
        push(both.subarray(i, j))
        push(both.subarray(j))
        assert.deepEqual(errors, [], `errors at ${i}/${j}`)
        assert.deepEqual(frames, [pingEnv(1, 'a'), pingEnv(2, 'b')], `split ${i}/${j}`)
      }
    }
  })

  test('a frame delivered one byte at a time decodes once, on its last byte', () => {
    const frame = encodeFrame(deliveryEnv)
    const { frames, errors, push, end } = workerSide()
    for (let i = 0; i < frame.length; i++) {
      assert.equal(frames.length, 0, `frame delivered early at byte ${i}`)
      push(frame.subarray(i, i + 1))
    }
    end()
    assert.deepEqual(errors, [])
    assert.deepEqual(frames, [deliveryEnv])
  })

  test('empty chunks are ignored', () => {
    const frame = ping(9)
    const { frames, errors, push } = workerSide()
    push(Buffer.alloc(0))
    push(frame.subarray(0, 2))
    push(Buffer.alloc(0))
    push(frame.subarray(2))
    push(Buffer.alloc(0))
    assert.deepEqual(errors, [])
    assert.deepEqual(frames, [pingEnv(9)])
  })

  test('5000 frames in one chunk decode in order', () => {
    const n = 5000
    const chunk = Buffer.concat(Array.from({ length: n }, (_, i) => ping(i, `r${i}`)))
    const { frames, errors, push, decoder } = workerSide()
    push(chunk)
    assert.deepEqual(errors, [])
    assert.equal(frames.length, n)
    frames.forEach((f, i) => {
      assert.equal(f.type, 'ping')
      assert.equal(f.request_id, `r${i}`)
      assert.deepEqual(f.payload, { ts_ms: i })
    })
    assert.equal(decoder.bufferedBytes, 0)
  })

  test('5000 frames in random-sized chunks decode in order', () => {
    const n = 5000
    const all = Buffer.concat(Array.from({ length: n }, (_, i) => ping(i, `r${i}`)))
    const rand = prng(7)
    const { frames, errors, push } = workerSide()
    for (let off = 0; off < all.length; ) {
      const size = 1 + Math.floor(rand() * 300)
      push(all.subarray(off, off + size))
      off += size
    }
    assert.deepEqual(errors, [])
    assert.equal(frames.length, n)
    assert.ok(frames.every((f, i) => f.request_id === `r${i}`), 'frames out of order')
  })
})

// ── end of stream ────────────────────────────────────────────────────────────

describe('FrameDecoder end of stream', () => {
  test('end() after a partial header → one fatal truncated_frame', () => {
    const { frames, errors, push, end, decoder } = workerSide()
    push(Buffer.concat([ping(1), ping(2).subarray(0, 2)]))
    end()
    end()
    assert.deepEqual(frames, [pingEnv(1)])
    const err = onlyError(errors)
    assert.equal(err.code, 'truncated_frame')
    assert.equal(err.fatal, true)
    assert.equal(decoder.failed, true)
  })

  test('end() after a partial body → one fatal truncated_frame', () => {
    const frame = ping(2)
    const { frames, errors, push, end, decoder } = workerSide()
    push(Buffer.concat([ping(1), frame.subarray(0, frame.length - 1)]))
    end()
    end()
    assert.deepEqual(frames, [pingEnv(1)])
    const err = onlyError(errors)
    assert.equal(err.code, 'truncated_frame')
    assert.equal(err.fatal, true)
    assert.equal(decoder.failed, true)
  })

  test('end() right after a complete header (no body bytes yet) → one fatal truncated_frame', () => {
    const { frames, errors, push, end } = workerSide()
    push(ping(2).subarray(0, FRAME_HEADER_BYTES))
    end()
    assert.deepEqual(frames, [])
    const err = onlyError(errors)
    assert.equal(err.code, 'truncated_frame')
    assert.equal(err.fatal, true)
  })

  test('end() on a clean frame boundary → no error', () => {
    const { frames, errors, push, end, decoder } = workerSide()
    push(Buffer.concat([ping(1), ping(2)]))
    end()
    assert.deepEqual(errors, [])
    assert.deepEqual(frames, [pingEnv(1), pingEnv(2)])
    assert.equal(decoder.failed, false)
  })

  test('end() on a decoder that never saw a byte → no error', () => {
    const { errors, end, decoder } = workerSide()
    end()
    assert.deepEqual(errors, [])
    assert.equal(decoder.failed, false)
  })
})

// ── oversize ─────────────────────────────────────────────────────────────────

describe('FrameDecoder oversize frames', () => {
  test('length above maxFrameBytes → fatal frame_too_large; later frames are ignored', () => {
    const { frames, errors, push, end, decoder } = workerSide(1024)
    push(Buffer.concat([ping(1), header(1025), ping(2)]))
    assert.deepEqual(frames, [pingEnv(1)])
    const err = onlyError(errors)
    assert.equal(err.code, 'frame_too_large')
    assert.equal(err.fatal, true)
    assert.equal(decoder.failed, true)
    assert.equal(decoder.bufferedBytes, 0)
    // Framing is lost: nothing after the bad header is decoded, in this chunk or later ones.
    push(ping(3))
    push(Buffer.concat([ping(4), ping(5)]))
    end()
    assert.deepEqual(frames, [pingEnv(1)])
    assert.equal(errors.length, 1)
  })

  test('frame_too_large is reported as soon as the header arrives, before any body', () => {
    const { errors, push, decoder } = workerSide(16)
    push(header(17))
    assert.equal(onlyError(errors).code, 'frame_too_large')
    assert.equal(decoder.failed, true)
  })

  test('the default limit is FRAME_MAX_BYTES', () => {
    const { errors, push } = workerSide()
    push(header(FRAME_MAX_BYTES + 1))
    assert.equal(onlyError(errors).code, 'frame_too_large')
    const ok = workerSide()
    ok.push(header(FRAME_MAX_BYTES))
    assert.deepEqual(ok.errors, [])
    assert.equal(ok.decoder.failed, false)
  })

  test('a frame of exactly maxFrameBytes is accepted', () => {
    const frame = encodeFrame(envelope('write_pty', { data: 'x'.repeat(200) }))
    const bodyLength = frame.length - FRAME_HEADER_BYTES
    const { frames, errors, push } = workerSide(bodyLength)
    push(frame)
    assert.deepEqual(errors, [])
    assert.equal(frames.length, 1)
  })

  test('a 0xffffffff length → frame_too_large', () => {
    const { errors, push } = workerSide()
    push(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]))
    const err = onlyError(errors)
    assert.equal(err.code, 'frame_too_large')
    assert.equal(err.fatal, true)
  })
})

// ── malformed bodies ─────────────────────────────────────────────────────────

describe('FrameDecoder malformed bodies', () => {
  test('a 0xc1 body → invalid_frame, not fatal, the next frame in the chunk still decodes', () => {
    const { frames, errors, push, decoder } = workerSide()
    push(Buffer.concat([rawFrame([0xc1]), ping(2)]))
    const err = onlyError(errors)
    assert.equal(err.code, 'invalid_frame')
    assert.equal(err.fatal, false)
    assert.equal(decoder.failed, false)
    assert.deepEqual(frames, [pingEnv(2)])
  })

  test('a body that ends inside a msgpack value → invalid_frame, the next frame still decodes', () => {
    // fixarray of 3 with only one element; fixstr of 5 with only two bytes
    const { frames, errors, push } = workerSide()
    push(Buffer.concat([rawFrame([0x93, 0x01]), rawFrame([0xa5, 0x61, 0x62]), ping(3)]))
    assert.equal(errors.length, 2)
    assert.ok(errors.every((e) => e.code === 'invalid_frame' && !e.fatal))
    assert.deepEqual(frames, [pingEnv(3)])
  })

  test('a valid envelope followed by extra bytes inside one body → error, decoding continues', () => {
    const body = encodeFrame(pingEnv(1)).subarray(FRAME_HEADER_BYTES)
    const { frames, errors, push, decoder } = workerSide()
    push(Buffer.concat([rawFrame(Buffer.concat([body, Buffer.from([0xc0, 0x01])])), ping(2)]))
    const err = onlyError(errors)
    assert.equal(err.code, 'invalid_frame')
    assert.equal(err.fatal, false)
    assert.equal(decoder.failed, false)
    assert.deepEqual(frames, [pingEnv(2)], 'the padded frame must not be delivered')
  })

  const notEnvelopes: [string, unknown][] = [
    ['a number', 42],
    ['a negative float', -1.5],
    ['an array', [1, 'ping', null, { ts_ms: 1 }]],
    ['an envelope-shaped array', [{ v: 1, type: 'ping', request_id: null, payload: { ts_ms: 1 } }]],
    ['a string', 'ping'],
    ['null', null],
    ['a boolean', true],
    ['binary data', Buffer.from([1, 2, 3])],
    ['an empty map', {}]
  ]
  for (const [name, value] of notEnvelopes) {
    test(`msgpack that is ${name} → invalid_frame, decoding continues`, () => {
      const { frames, errors, push } = workerSide()
      push(Buffer.concat([encodeFrame(value), ping(1)]))
      const err = onlyError(errors)
      assert.equal(err.code, 'invalid_frame')
      assert.equal(err.fatal, false)
      assert.deepEqual(frames, [pingEnv(1)])
    })
  }

  test('a zero-length body followed by a frame in the same chunk → error, decoding continues', () => {
    const { frames, errors, push, decoder } = workerSide()
    push(Buffer.concat([header(0), ping(1)]))
    const err = onlyError(errors)
    assert.equal(err.code, 'invalid_frame')
    assert.equal(err.fatal, false)
    assert.equal(decoder.failed, false)
    assert.deepEqual(frames, [pingEnv(1)])
  })

  test('a zero-length frame at the very end of a chunk → error, the next chunk still decodes', () => {
    const { frames, errors, push, end, decoder } = workerSide()
    push(Buffer.concat([ping(1), header(0)]))
    const err = onlyError(errors)
    assert.equal(err.code, 'invalid_frame')
    assert.equal(err.fatal, false)
    assert.equal(decoder.bufferedBytes, 0)
    push(ping(2))
    end()
    assert.equal(errors.length, 1, 'no truncated_frame at a clean boundary')
    assert.deepEqual(frames, [pingEnv(1), pingEnv(2)])
  })

  test('a zero-length frame alone, byte by byte, then a valid frame', () => {
    const { frames, errors, push, end } = workerSide()
    for (const byte of Buffer.concat([header(0), ping(5)])) push(Buffer.from([byte]))
    end()
    assert.equal(onlyError(errors).code, 'invalid_frame')
    assert.deepEqual(frames, [pingEnv(5)])
  })
})

// ── robustness ───────────────────────────────────────────────────────────────

describe('FrameDecoder robustness', () => {
  test('every malformed case above, in one stream, never throws and keeps decoding', () => {
    const body = encodeFrame(pingEnv(0)).subarray(FRAME_HEADER_BYTES)
    const stream = Buffer.concat([
      rawFrame([0xc1]),
      ping(1),
      rawFrame(Buffer.concat([body, Buffer.from([0x00])])),
      encodeFrame(42),
      encodeFrame(null),
      encodeFrame('x'),
      encodeFrame([1, 2]),
      header(0),
      encodeFrame(envelope('nope', {}, 'q')),
      encodeFrame(envelope('resize_pty', { rows: 'a', cols: 1 }, 'q')),
      encodeFrame(envelope('deliver_relay', {}, 'q')),
      ping(2)
    ])
    for (let size = 1; size <= 64; size *= 2) {
      const { frames, errors, push, end } = workerSide()
      for (let off = 0; off < stream.length; off += size) push(stream.subarray(off, off + size))
      end()
      assert.deepEqual(frames, [pingEnv(1), pingEnv(2)], `chunk size ${size}`)
      assert.deepEqual(
        errors.map((e) => e.code),
        [
          'invalid_frame',
          'invalid_frame',
          'invalid_frame',
          'invalid_frame',
          'invalid_frame',
          'invalid_frame',
          'invalid_frame',
          'unknown_type',
          'invalid_payload',
          'invalid_delivery'
        ],
        `chunk size ${size}`
      )
    }
  })

  test('fuzz: 2000 random byte streams never throw, every error has a known code', () => {
    const rand = prng(0xc0dec)
    const byte = () => Math.floor(rand() * 256)
    const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, byte))
    const valid = [ping(1), encodeFrame(deliveryEnv), encodeFrame(envelope('write_pty', { data: 'abc' }))]
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
    let framesSeen = 0
    let errorsSeen = 0
    for (let iter = 0; iter < 2000; iter++) {
      const parts: Buffer[] = []
      const nParts = 1 + Math.floor(rand() * 6)
      for (let p = 0; p < nParts; p++) {
        const kind = Math.floor(rand() * 5)
        if (kind === 0) parts.push(randomBytes(Math.floor(rand() * 48)))
        else if (kind === 1) parts.push(rawFrame(randomBytes(Math.floor(rand() * 48))))
        else if (kind === 2) parts.push(pick(valid))
        else {
          // a valid frame with a few bytes of its body mutated (header kept, so framing holds)
          const f = Buffer.from(pick(valid))
          const flips = 1 + Math.floor(rand() * 4)
          for (let k = 0; k < flips; k++) f[FRAME_HEADER_BYTES + Math.floor(rand() * (f.length - FRAME_HEADER_BYTES))] = byte()
          parts.push(f)
        }
      }
      const stream = Buffer.concat(parts)
      const frames: unknown[] = []
      const errors: FrameError[] = []
      const decoder = new FrameDecoder<BrokerToWorkerFrame>({
        schema: brokerToWorkerSchema,
        knownTypes: BROKER_TO_WORKER_TYPES,
        maxFrameBytes: 4096,
        onFrame: (f) => frames.push(f),
        onError: (e) => errors.push(e)
      })
      for (let off = 0; off < stream.length; ) {
        const size = 1 + Math.floor(rand() * 40)
        const chunk = stream.subarray(off, off + size)
        assert.doesNotThrow(() => decoder.push(chunk), `iteration ${iter}`)
        off += size
      }
      assert.doesNotThrow(() => decoder.end(), `iteration ${iter}`)
      for (const err of errors) {
        assert.ok(err instanceof FrameError, `iteration ${iter}: not a FrameError`)
        assert.ok(KNOWN_CODES.has(err.code), `iteration ${iter}: unknown code ${err.code}`)
        assert.notEqual(err.code, 'invalid_outgoing_frame')
        assert.equal(err.fatal, FATAL_CODES.has(err.code), `iteration ${iter}: ${err.code} fatal=${err.fatal}`)
      }
      assert.ok(errors.filter((e) => e.fatal).length <= 1, `iteration ${iter}: more than one fatal error`)
      for (const f of frames) assert.ok(brokerToWorkerSchema.safeParse(f).success, `iteration ${iter}: invalid frame delivered`)
      framesSeen += frames.length
      errorsSeen += errors.length
    }
    // the generator must actually exercise both paths
    assert.ok(framesSeen > 100, `only ${framesSeen} frames decoded`)
    assert.ok(errorsSeen > 100, `only ${errorsSeen} errors raised`)
  })
})

// ── FrameChannel ─────────────────────────────────────────────────────────────

type BrokerChannel = FrameChannel<WorkerToBrokerFrame, BrokerToWorkerFrame>
type WorkerChannel = FrameChannel<BrokerToWorkerFrame, WorkerToBrokerFrame>

describe('FrameChannel', () => {
  test('send refuses an invalid outgoing payload with invalid_outgoing_frame and writes nothing', () => {
    const input = new PassThrough()
    const output = new PassThrough()
    const written: Buffer[] = []
    output.on('data', (c: Buffer) => written.push(c))
    const channel: BrokerChannel = new FrameChannel({
      input,
      output,
      inSchema: workerToBrokerSchema,
      inTypes: WORKER_TO_BROKER_TYPES,
      outSchema: brokerToWorkerSchema,
      onFrame: () => {},
      onError: () => {},
      onEnd: () => {}
    })
    assert.throws(
      () => channel.send('resize_pty', { rows: -1, cols: 80 }, 'req-bad'),
      (err: unknown) => {
        assert.ok(err instanceof FrameError)
        assert.equal(err.code, 'invalid_outgoing_frame')
        assert.equal(err.frameType, 'resize_pty')
        assert.equal(err.requestId, 'req-bad')
        return true
      }
    )
    assert.throws(
      // a frame of the other direction is not sendable either
      () => channel.send('pong' as never, { ts_ms: 1 } as never),
      (err: unknown) => err instanceof FrameError && err.code === 'invalid_outgoing_frame'
    )
    assert.equal(channel.pendingBytes, 0)
    assert.equal(output.writableLength, 0)
    assert.equal(output.readableLength, 0)
    assert.deepEqual(written, [])
    // a valid frame afterwards still goes out
    assert.equal(channel.send('ping', { ts_ms: 1 }), true)
    assert.ok(output.readableLength > 0 || written.length > 0)
  })

  test('end-to-end over a PassThrough pair: frames arrive validated both ways; onEnd fires', async () => {
    const b2w = new PassThrough()
    const w2b = new PassThrough()
    const atBroker: WorkerToBrokerFrame[] = []
    const atWorker: BrokerToWorkerFrame[] = []
    const errors: FrameError[] = []
    let brokerEnded!: () => void
    let workerEnded!: () => void
    const brokerEnd = new Promise<void>((r) => (brokerEnded = r))
    const workerEnd = new Promise<void>((r) => (workerEnded = r))
    const broker: BrokerChannel = new FrameChannel({
      input: w2b,
      output: b2w,
      inSchema: workerToBrokerSchema,
      inTypes: WORKER_TO_BROKER_TYPES,
      outSchema: brokerToWorkerSchema,
      onFrame: (f) => atBroker.push(f),
      onError: (e) => errors.push(e),
      onEnd: () => brokerEnded()
    })
    const worker: WorkerChannel = new FrameChannel({
      input: b2w,
      output: w2b,
      inSchema: brokerToWorkerSchema,
      inTypes: BROKER_TO_WORKER_TYPES,
      outSchema: workerToBrokerSchema,
      onFrame: (f) => atWorker.push(f),
      onError: (e) => errors.push(e),
      onEnd: () => workerEnded()
    })

    const delivery = { ...deliveryEnv.payload }
    assert.equal(broker.send('deliver_relay', delivery, 'req-1'), true)
    assert.equal(broker.send('ping', { ts_ms: 11 }), true)
    // raw bytes from a peer that omits a defaulted field are validated (and defaulted) on arrival
    const { injection_mode: _omit, ...noMode } = delivery
    b2w.write(encodeFrame(envelope('deliver_relay', { ...noMode, delivery_id: 'del_raw' }, 'req-raw')))
    assert.equal(worker.send('worker_started', { cli_pid: 123, rows: 24, cols: 80 }), true)
    assert.equal(worker.send('delivery_ack', { delivery_id: 'del_7', event_id: 'evt_7' }, 'req-1'), true)

    worker.close()
    await brokerEnd
    assert.equal(worker.closed, true)
    assert.equal(worker.send('pong', { ts_ms: 1 }), false, 'send on a closed channel returns false')
    broker.close()
    await workerEnd

    assert.deepEqual(errors, [])
    assert.deepEqual(atWorker, [
      envelope('deliver_relay', delivery, 'req-1'),
      envelope('ping', { ts_ms: 11 }),
      envelope('deliver_relay', { ...noMode, delivery_id: 'del_raw', injection_mode: 'wait' }, 'req-raw')
    ])
    assert.deepEqual(atBroker, [
      envelope('worker_started', { cli_pid: 123, rows: 24, cols: 80 }),
      envelope('delivery_ack', { delivery_id: 'del_7', event_id: 'evt_7' }, 'req-1')
    ])
  })

  test('incoming garbage on a channel is reported through onError, valid frames still arrive', async () => {
    const input = new PassThrough()
    const output = new PassThrough()
    const frames: BrokerToWorkerFrame[] = []
    const errors: FrameError[] = []
    const ended = new Promise<void>((resolve) => {
      new FrameChannel<BrokerToWorkerFrame, WorkerToBrokerFrame>({
        input,
        output,
        inSchema: brokerToWorkerSchema,
        inTypes: BROKER_TO_WORKER_TYPES,
        outSchema: workerToBrokerSchema,
        onFrame: (f) => frames.push(f),
        onError: (e) => errors.push(e),
        onEnd: resolve
      })
    })
    input.write(rawFrame([0xc1]))
    input.write(ping(1))
    input.end(ping(2).subarray(0, 3))
    await ended
    assert.deepEqual(frames, [pingEnv(1)])
    assert.deepEqual(
      errors.map((e) => [e.code, e.fatal]),
      [
        ['invalid_frame', false],
        ['truncated_frame', true]
      ]
    )
  })

  test('end-to-end through a real child process echoing stdin to stdout', { timeout: 15_000 }, async () => {
    const child = spawn(process.execPath, ['-e', 'process.stdin.pipe(process.stdout)'], {
      stdio: ['pipe', 'pipe', 'inherit']
    })
    const received: BrokerToWorkerFrame[] = []
    const errors: FrameError[] = []
    const n = 200
    const ended = new Promise<void>((resolve) => {
      const channel = new FrameChannel<BrokerToWorkerFrame, BrokerToWorkerFrame>({
        input: child.stdout,
        output: child.stdin,
        inSchema: brokerToWorkerSchema,
        inTypes: BROKER_TO_WORKER_TYPES,
        outSchema: brokerToWorkerSchema,
        onFrame: (f) => received.push(f),
        onError: (e) => errors.push(e),
        onEnd: resolve
      })
      for (let i = 0; i < n; i++) assert.equal(channel.send('ping', { ts_ms: i }, `r${i}`), true)
      assert.equal(channel.send('write_pty', { data: 'z'.repeat(200_000) }), true)
      channel.close()
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    await ended
    assert.equal(await exited, 0)
    assert.deepEqual(errors, [])
    assert.equal(received.length, n + 1)
    received.slice(0, n).forEach((f, i) => assert.deepEqual(f, pingEnv(i, `r${i}`)))
    assert.deepEqual(received[n], envelope('write_pty', { data: 'z'.repeat(200_000) }))
  })
})
