/**
 * The frame catalogue: every frame type of both directions round-trips through the codec,
 * the example tables are complete, and the decoder classifies schema failures with the right code.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { z } from 'zod'
import {
  BROKER_TO_WORKER_TYPES,
  brokerToWorkerSchema,
  encodeFrame,
  envelope,
  FrameDecoder,
  FrameError,
  PROTOCOL_VERSION,
  relayDeliverySchema,
  WORKER_TO_BROKER_TYPES,
  workerToBrokerSchema,
  type BrokerToWorkerFrame,
  type BrokerToWorkerType,
  type PayloadOf,
  type WorkerToBrokerFrame,
  type WorkerToBrokerType
} from '../../src/protocol/index.js'

// ── example payloads, one per frame type ─────────────────────────────────────

const BROKER_EXAMPLES: { [K in BrokerToWorkerType]: PayloadOf<BrokerToWorkerFrame, K> } = {
  init_worker: {
    agent: {
      name: 'alice',
      runtime: 'pty',
      provider: 'claude',
      cli: 'claude',
      model: null,
      cwd: '/tmp/work',
      team: null,
      shadow_of: null,
      shadow_mode: null,
      args: ['--dangerously-skip-permissions', '--verbose'],
      channels: ['general', 'ops'],
      restart_policy: { enabled: true, max_restarts: 3, cooldown_ms: 1_000, max_consecutive_failures: 2 },
      verify_window_secs: 2.5
    }
  },
  deliver_relay: {
    delivery_id: 'del_1',
    event_id: 'evt_1',
    workspace_id: null,
    workspace_alias: 'main',
    from: 'bob',
    target: 'alice',
    body: 'hello 👋 — ünïcödé\nsecond line',
    thread_id: 'thr_9',
    priority: 2,
    injection_mode: 'steer'
  },
  shutdown_worker: { reason: 'released', grace_ms: 2_000 },
  resize_pty: { rows: 50, cols: 65_535 },
  snapshot_pty: { format: 'ansi' },
  write_pty: { data: '\x1b[A\r\n\u0000 raw bytes ☃' },
  set_model: { model: 'opus' },
  ping: { ts_ms: 2 ** 53 - 1 },
  adopt_worker: { secret: 'a'.repeat(64), broker_pid: 4242 }
}

const WORKER_EXAMPLES: { [K in WorkerToBrokerType]: PayloadOf<WorkerToBrokerFrame, K> } = {
  worker_started: { cli_pid: 4_242_424, rows: 24, cols: 80 },
  worker_ready: { name: 'alice', runtime: 'headless', reason: 'settled' },
  delivery_queued: { delivery_id: 'del_1', event_id: 'evt_1', worker_name: 'alice', timestamp: 1_700_000_000_123 },
  delivery_injecting: { delivery_id: 'del_1', event_id: 'evt_1', worker_name: 'alice', timestamp: 1_700_000_000_456.5, pending_bytes: 16_384 },
  delivery_injected: { delivery_id: 'del_1', event_id: 'evt_1', worker_name: 'alice', timestamp: 1_700_000_000_456.5 },
  delivery_ack: { delivery_id: 'del_1', event_id: 'evt_1' },
  delivery_verified: { delivery_id: 'del_1', event_id: 'evt_1', verification: 'echo' },
  delivery_failed: { delivery_id: 'del_2', event_id: 'evt_2', reason: 'echo_timeout', stage: 'injected' },
  delivery_active: { delivery_id: 'del_1', event_id: 'evt_1', pattern: 'Thinking…' },
  worker_stream: { stream: 'stdout', chunk: '\x1b[32mgreen\x1b[0m 🌿', event_type: 'assistant' },
  agent_idle: { idle_secs: 30, reason: 'silence' },
  agent_exit: { reason: 'child_exited', last_output: 'bye\n' },
  worker_exited: { code: null, signal: 'SIGKILL' },
  worker_error: { code: 'spawn_failed', message: 'ENOENT: claude', retryable: false },
  pong: { ts_ms: 1_700_000_000_000 },
  snapshot_response: { format: 'plain', rows: 24, cols: 80, cursor: [3, 17], screen: 'line 1\nline 2' },
  continuity_command: { action: 'save', content: 'remember this' },
  auto_answered: { rule: 'claude.folder_trust', answer: 'Yes, proceed (trust this folder)', keys: '\r' },
  worker_blocked: { reason: 'login required: Select login method' },
  worker_adopted: {
    name: 'alice',
    cli_pid: 4243,
    ready: true,
    busy: false,
    blocked: null,
    downtime_ms: 1_234,
    injected_alone: ['del_1'],
    verified_alone: ['del_1'],
    failed_alone: [],
    buffered_frames: 3,
    dropped_frames: 0,
    screen_tail: '> '
  }
}

// ── helpers ──────────────────────────────────────────────────────────────────

interface Collected<F> {
  decoder: FrameDecoder<F>
  frames: F[]
  errors: FrameError[]
  push: (buf: Buffer) => void
}

function collect<F>(schema: z.ZodType<F>, knownTypes: readonly string[]): Collected<F> {
  const frames: F[] = []
  const errors: FrameError[] = []
  const decoder = new FrameDecoder<F>({
    schema,
    knownTypes,
    onFrame: (f) => frames.push(f),
    onError: (e) => errors.push(e)
  })
  const push = (buf: Buffer) => assert.doesNotThrow(() => decoder.push(buf))
  return { decoder, frames, errors, push }
}

/** A decoder as the `broker pty` child runs it: broker → worker frames. */
const workerSide = () => collect<BrokerToWorkerFrame>(brokerToWorkerSchema, BROKER_TO_WORKER_TYPES)
/** A decoder as the supervisor runs it: worker → broker frames. */
const brokerSide = () => collect<WorkerToBrokerFrame>(workerToBrokerSchema, WORKER_TO_BROKER_TYPES)

function onlyError(errors: FrameError[]): FrameError {
  assert.equal(errors.length, 1, `expected exactly one error, got ${errors.map((e) => e.code).join(', ') || 'none'}`)
  const err = errors[0]!
  assert.ok(err instanceof FrameError)
  return err
}

const ping = (ts: number, requestId: string | null = null) => encodeFrame(envelope('ping', { ts_ms: ts }, requestId))
const pong = (ts: number, requestId: string | null = null) => encodeFrame(envelope('pong', { ts_ms: ts }, requestId))

// ── completeness ─────────────────────────────────────────────────────────────

describe('frame catalogue', () => {
  test('every broker → worker type has an example, and every example is a listed type', () => {
    assert.ok(BROKER_TO_WORKER_TYPES.length > 0)
    const missing = BROKER_TO_WORKER_TYPES.filter((t) => !Object.hasOwn(BROKER_EXAMPLES, t))
    assert.deepEqual(missing, [], `broker → worker types without an example: ${missing.join(', ')}`)
    const extra = Object.keys(BROKER_EXAMPLES).filter((t) => !BROKER_TO_WORKER_TYPES.includes(t))
    assert.deepEqual(extra, [])
    assert.equal(new Set(BROKER_TO_WORKER_TYPES).size, BROKER_TO_WORKER_TYPES.length, 'duplicate type names')
  })

  test('every worker → broker type has an example, and every example is a listed type', () => {
    assert.ok(WORKER_TO_BROKER_TYPES.length > 0)
    const missing = WORKER_TO_BROKER_TYPES.filter((t) => !Object.hasOwn(WORKER_EXAMPLES, t))
    assert.deepEqual(missing, [], `worker → broker types without an example: ${missing.join(', ')}`)
    const extra = Object.keys(WORKER_EXAMPLES).filter((t) => !WORKER_TO_BROKER_TYPES.includes(t))
    assert.deepEqual(extra, [])
    assert.equal(new Set(WORKER_TO_BROKER_TYPES).size, WORKER_TO_BROKER_TYPES.length, 'duplicate type names')
  })

  test('the two directions share no type name', () => {
    const shared = BROKER_TO_WORKER_TYPES.filter((t) => WORKER_TO_BROKER_TYPES.includes(t))
    assert.deepEqual(shared, [])
  })
})

// ── round trips ──────────────────────────────────────────────────────────────

describe('round trip broker → worker', () => {
  for (const type of BROKER_TO_WORKER_TYPES) {
    test(type, () => {
      const payload = (BROKER_EXAMPLES as Record<string, unknown>)[type]
      assert.ok(payload !== undefined, `no example for ${type}`)
      const sent = envelope(type, payload, `req-${type}`)
      assert.ok(brokerToWorkerSchema.safeParse(sent).success, `the example for ${type} is not valid`)
      const { frames, errors, push, decoder } = workerSide()
      push(encodeFrame(sent))
      assert.deepEqual(errors, [])
      assert.deepEqual(frames, [sent])
      assert.equal(frames[0]!.v, PROTOCOL_VERSION)
      assert.equal(decoder.bufferedBytes, 0)
    })
  }
})

describe('round trip worker → broker', () => {
  for (const type of WORKER_TO_BROKER_TYPES) {
    test(type, () => {
      const payload = (WORKER_EXAMPLES as Record<string, unknown>)[type]
      assert.ok(payload !== undefined, `no example for ${type}`)
      const sent = envelope(type, payload, null)
      assert.ok(workerToBrokerSchema.safeParse(sent).success, `the example for ${type} is not valid`)
      const { frames, errors, push, decoder } = brokerSide()
      push(encodeFrame(sent))
      assert.deepEqual(errors, [])
      assert.deepEqual(frames, [sent])
      assert.equal(decoder.bufferedBytes, 0)
    })
  }
})

describe('round trip of alternative shapes', () => {
  test('snapshot_response error branch', () => {
    const sent = envelope('snapshot_response', { error: { code: 'no_screen', message: 'not started' } }, 'req-7')
    const { frames, errors, push } = brokerSide()
    push(encodeFrame(sent))
    assert.deepEqual(errors, [])
    assert.deepEqual(frames, [sent])
  })

  test('init_worker with only the required agent fields', () => {
    const sent = envelope('init_worker', { agent: { name: 'x', runtime: 'headless', cli: null, args: [], channels: [] } })
    const { frames, errors, push } = workerSide()
    push(encodeFrame(sent))
    assert.deepEqual(errors, [])
    assert.deepEqual(frames, [sent])
  })

  test('unknown payload keys are stripped, not refused', () => {
    const { frames, errors, push } = workerSide()
    push(encodeFrame(envelope('ping', { ts_ms: 5, extra: 'x' })))
    assert.deepEqual(errors, [])
    assert.deepEqual(frames, [envelope('ping', { ts_ms: 5 })])
  })
})

// ── defaults ─────────────────────────────────────────────────────────────────

describe('defaults', () => {
  test('deliver_relay without injection_mode decodes with injection_mode "wait"', () => {
    const { delivery_id, event_id, from, target, body } = BROKER_EXAMPLES.deliver_relay
    const { frames, errors, push } = workerSide()
    push(encodeFrame(envelope('deliver_relay', { delivery_id, event_id, from, target, body }, 'req-d')))
    assert.deepEqual(errors, [])
    assert.equal(frames.length, 1)
    const frame = frames[0]!
    assert.equal(frame.type, 'deliver_relay')
    assert.equal(frame.type === 'deliver_relay' && frame.payload.injection_mode, 'wait')
    assert.deepEqual(frame.payload, { delivery_id, event_id, from, target, body, injection_mode: 'wait' })
  })

  test('relayDeliverySchema itself defaults injection_mode to "wait" and keeps "steer"', () => {
    const base = { delivery_id: 'd', event_id: 'e', from: 'a', target: 'b', body: 'x' }
    assert.equal(relayDeliverySchema.parse(base).injection_mode, 'wait')
    assert.equal(relayDeliverySchema.parse({ ...base, injection_mode: 'steer' }).injection_mode, 'steer')
  })
})

// ── classification of schema failures ────────────────────────────────────────

describe('schema failures', () => {
  test('unknown type → unknown_type carrying frameType and requestId, decoding continues', () => {
    const { frames, errors, push } = workerSide()
    push(Buffer.concat([encodeFrame(envelope('teleport', { where: 'mars' }, 'req-42')), ping(1)]))
    const err = onlyError(errors)
    assert.equal(err.code, 'unknown_type')
    assert.equal(err.frameType, 'teleport')
    assert.equal(err.requestId, 'req-42')
    assert.equal(err.fatal, false)
    assert.deepEqual(frames, [envelope('ping', { ts_ms: 1 })])
  })

  test('a frame of the other direction is an unknown_type', () => {
    const { frames, errors, push } = workerSide()
    push(pong(3, 'req-p'))
    const err = onlyError(errors)
    assert.equal(err.code, 'unknown_type')
    assert.equal(err.frameType, 'pong')
    assert.equal(err.requestId, 'req-p')
    assert.deepEqual(frames, [])
  })

  test('known broker → worker type with a bad payload → invalid_payload carrying requestId', () => {
    const { frames, errors, push } = workerSide()
    push(Buffer.concat([encodeFrame(envelope('resize_pty', { rows: -1, cols: 80 }, 'req-r')), ping(2)]))
    const err = onlyError(errors)
    assert.equal(err.code, 'invalid_payload')
    assert.equal(err.frameType, 'resize_pty')
    assert.equal(err.requestId, 'req-r')
    assert.equal(err.fatal, false)
    assert.match(err.message, /rows/)
    assert.deepEqual(frames, [envelope('ping', { ts_ms: 2 })])
  })

  test('known worker → broker type with a bad payload → invalid_payload carrying requestId', () => {
    const { frames, errors, push } = brokerSide()
    push(encodeFrame(envelope('worker_started', { cli_pid: 'abc', rows: 24, cols: 80 }, 'req-w')))
    const err = onlyError(errors)
    assert.equal(err.code, 'invalid_payload')
    assert.equal(err.frameType, 'worker_started')
    assert.equal(err.requestId, 'req-w')
    assert.deepEqual(frames, [])
  })

  test('deliver_relay with a missing delivery_id → invalid_delivery carrying requestId', () => {
    const { delivery_id: _omit, ...rest } = BROKER_EXAMPLES.deliver_relay
    const { frames, errors, push } = workerSide()
    push(encodeFrame(envelope('deliver_relay', rest, 'req-del')))
    const err = onlyError(errors)
    assert.equal(err.code, 'invalid_delivery')
    assert.equal(err.frameType, 'deliver_relay')
    assert.equal(err.requestId, 'req-del')
    assert.equal(err.fatal, false)
    assert.deepEqual(frames, [])
  })

  test('deliver_relay with an unknown injection_mode → invalid_delivery', () => {
    const { frames, errors, push } = workerSide()
    push(encodeFrame(envelope('deliver_relay', { ...BROKER_EXAMPLES.deliver_relay, injection_mode: 'shout' }, 'req-m')))
    const err = onlyError(errors)
    assert.equal(err.code, 'invalid_delivery')
    assert.equal(err.requestId, 'req-m')
    assert.deepEqual(frames, [])
  })

  test('envelope with a non-integer v is refused as invalid_payload', () => {
    const { frames, errors, push } = workerSide()
    push(encodeFrame({ v: 1.5, type: 'ping', request_id: 'req-v', payload: { ts_ms: 1 } }))
    const err = onlyError(errors)
    assert.equal(err.code, 'invalid_payload')
    assert.equal(err.requestId, 'req-v')
    assert.deepEqual(frames, [])
  })

  test('envelope without a payload object → invalid_frame, type and requestId still carried', () => {
    const { frames, errors, push } = workerSide()
    push(encodeFrame({ v: 1, type: 'ping', request_id: 'req-n', payload: 7 }))
    const err = onlyError(errors)
    assert.equal(err.code, 'invalid_frame')
    assert.equal(err.frameType, 'ping')
    assert.equal(err.requestId, 'req-n')
    assert.deepEqual(frames, [])
  })
})
