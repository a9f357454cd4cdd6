/** The real `broker pty` child hosting the echo fixture: readiness, delivery lifecycle, dedup, snapshot, resize, input. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeFrame, envelope } from '../../src/protocol/codec.js'
import { ECHO_CLI, isDelivery, readJsonLines, waitUntil, WorkerProcess } from './harness.js'

function tempLog(): string {
  return join(mkdtempSync(join(tmpdir(), 'pty-test-')), 'fixture.jsonl')
}

async function readyEcho(env: Record<string, string> = {}): Promise<WorkerProcess> {
  const w = new WorkerProcess(['node', ECHO_CLI], { env })
  w.init()
  await w.waitType('worker_ready')
  return w
}

describe('broker pty with the echo fixture', { concurrency: 3 }, () => {
  test('worker_started, then worker_ready with reason prompt', async () => {
    const w = new WorkerProcess(['node', ECHO_CLI])
    try {
      w.init({}, 'init-1')
      const ready = await w.waitType('worker_ready')
      assert.deepEqual(ready.payload, { name: 't1', runtime: 'pty', reason: 'prompt' })
      assert.equal(ready.request_id, 'init-1')
      assert.equal(w.frames[0]!.type, 'worker_started', 'worker_started is the first frame')
      const s = w.frames[0]!.payload as { cli_pid: number; rows: number; cols: number }
      assert.ok(s.cli_pid > 0)
      assert.deepEqual([s.rows, s.cols], [24, 80])
      assert.match(w.streamText(), /fixture ready/)
    } finally {
      await w.stop()
    }
  })

  test('a delivery is queued, injected, acked and verified in order, and the CLI got the relay line', async () => {
    const log = tempLog()
    const w = await readyEcho({ FIXTURE_LOG: log, RELAY_AGENT_NAME: 't1' })
    try {
      w.deliver({ delivery_id: 'd1', event_id: 'ev1', from: 'human:alice', body: 'please run the tests' }, 'req-d1')
      await w.waitFor(isDelivery('delivery_verified', 'd1'))
      const order = w.frames.filter((f) => (f.payload as { delivery_id?: string }).delivery_id === 'd1').map((f) => f.type)
      assert.deepEqual(order, ['delivery_queued', 'delivery_injected', 'delivery_ack', 'delivery_verified'])
      const queued = w.ofType('delivery_queued')[0]!
      assert.equal(queued.payload.worker_name, 't1')
      assert.equal(queued.payload.event_id, 'ev1')
      assert.ok(Math.abs(queued.payload.timestamp - Date.now()) < 60_000, 'timestamp is unix ms')
      assert.equal(queued.request_id, 'req-d1')
      assert.deepEqual(w.ofType('delivery_verified')[0]!.payload, { delivery_id: 'd1', event_id: 'ev1', verification: 'echo' })
      await waitUntil(() => readJsonLines(log).length === 1, 5_000, 'fixture log line')
      assert.deepEqual(
        readJsonLines(log).map((l) => [l.agent, l.line]),
        [['t1', 'Relay message from alice [ev1]: please run the tests']]
      )
    } finally {
      await w.stop()
    }
  })

  test('a duplicate delivery_id is not injected again and gets its last status re-sent', async () => {
    const log = tempLog()
    const w = await readyEcho({ FIXTURE_LOG: log })
    try {
      // A duplicate while the first copy is still in flight, then one after it was verified.
      w.deliver({ delivery_id: 'dup', event_id: 'ev-dup', body: 'only once' })
      w.deliver({ delivery_id: 'dup', event_id: 'ev-dup', body: 'only once' })
      await w.waitFor(isDelivery('delivery_verified', 'dup'))
      const before = w.ofType('delivery_verified').length
      w.deliver({ delivery_id: 'dup', event_id: 'ev-dup', body: 'only once' }, 'again')
      const resent = await w.waitFor((f) => f.type === 'delivery_verified' && f.request_id === 'again')
      assert.deepEqual(resent.payload, { delivery_id: 'dup', event_id: 'ev-dup', verification: 'echo' })
      assert.equal(w.ofType('delivery_verified').length, before + 1)
      assert.equal(w.ofType('delivery_queued').length, 2, 'the in-flight duplicate got delivery_queued re-sent')
      assert.equal(w.ofType('delivery_injected').length, 1, 'injected once')
      const readCount = () => readJsonLines(log).filter((l) => l.line.endsWith('only once')).length
      await waitUntil(() => readCount() >= 1, 10_000, 'the CLI to read the message')
      await new Promise((r) => setTimeout(r, 300)) // room for a second copy, were one typed
      assert.equal(readCount(), 1, 'the CLI received it once')
    } finally {
      await w.stop()
    }
  })

  test('deliveries are injected one at a time by priority, each verified', async () => {
    const log = tempLog()
    const w = new WorkerProcess(['node', ECHO_CLI], { env: { FIXTURE_LOG: log } })
    try {
      // Queued before init: nothing is injected until worker_ready.
      w.deliver({ delivery_id: 'low', body: 'low priority', priority: 4 })
      w.deliver({ delivery_id: 'mid1', body: 'default one' })
      w.deliver({ delivery_id: 'mid2', body: 'default two', priority: 2 })
      w.deliver({ delivery_id: 'high', body: 'urgent', priority: 0 })
      await w.waitFor(isDelivery('delivery_queued', 'high'))
      assert.equal(w.ofType('delivery_injected').length, 0)
      w.init()
      await w.waitFor(isDelivery('delivery_verified', 'low'))
      const injected = w.ofType('delivery_injected').map((f) => f.payload.delivery_id)
      assert.deepEqual(injected, ['high', 'mid1', 'mid2', 'low'])
      const ready = w.frames.findIndex((f) => f.type === 'worker_ready')
      assert.ok(ready < w.frames.findIndex((f) => f.type === 'delivery_injected'))
      // Verified means seen on screen; the cooked-mode fixture logs a line only after reading it.
      await waitUntil(() => readJsonLines(log).length >= 4, 5_000, 'the fixture to log all four lines')
      assert.deepEqual(
        readJsonLines(log).map((l) => l.line.replace(/^.*\]: /, '')),
        ['urgent', 'default one', 'default two', 'low priority']
      )
    } finally {
      await w.stop()
    }
  })

  test('channel messages, steer mode and long wrapped text are verified', async () => {
    const log = tempLog()
    const w = await readyEcho({ FIXTURE_LOG: log })
    try {
      const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ')
      w.deliver({ delivery_id: 'ch', target: '#general', from: 'broker-abc123', workspace_alias: 'acme', body: 'hi all' })
      w.deliver({ delivery_id: 'st', body: 'steered', injection_mode: 'steer' })
      w.deliver({ delivery_id: 'lg', body: long })
      await w.waitFor(isDelivery('delivery_verified', 'lg'))
      for (const id of ['ch', 'st']) assert.ok(w.frames.some(isDelivery('delivery_verified', id)), id)
      // Verified means seen on screen; the cooked-mode fixture logs a line only after reading it.
      await waitUntil(() => readJsonLines(log).length >= 3, 5_000, 'the fixture to log all three lines')
      const lines = readJsonLines(log).map((l) => l.line)
      assert.ok(lines.includes('Relay message from Dashboard in #general [acme / ev_ch]: hi all'), lines.join('\n'))
      assert.ok(lines.some((l) => l.endsWith(`[ev_lg]: ${long}`)))
    } finally {
      await w.stop()
    }
  })

  test('snapshot plain shows the screen, ansi decodes, unknown format is refused', async () => {
    const w = await readyEcho()
    try {
      w.send('write_pty', { data: 'snap me\r' })
      await waitUntil(() => w.streamText().includes('got: snap me'), 5_000, 'echo')
      w.send('snapshot_pty', { format: ' Plain ' }, 's1')
      const plain = await w.waitFor((f) => f.type === 'snapshot_response' && f.request_id === 's1')
      const p = plain.payload as { format: string; rows: number; cols: number; cursor: [number, number]; screen: string }
      assert.equal(p.format, 'plain')
      assert.deepEqual([p.rows, p.cols], [24, 80])
      const rows = p.screen.split('\n')
      assert.equal(rows.length, 25, 'every row ends with \\n')
      assert.equal(rows[0], 'fixture ready')
      assert.equal(rows[1], '> snap me')
      assert.equal(rows[2], 'got: snap me')
      assert.equal(rows[3], '>')
      assert.equal(rows[10], '')
      assert.deepEqual(p.cursor, [4, 3])

      w.send('snapshot_pty', { format: 'ansi' }, 's2')
      const ansi = await w.waitFor((f) => f.type === 'snapshot_response' && f.request_id === 's2')
      const a = ansi.payload as { format: string; screen: string; cursor: [number, number] }
      assert.equal(a.format, 'ansi')
      const decoded = Buffer.from(a.screen, 'base64').toString('utf8')
      assert.ok(decoded.startsWith('\x1b[0m\x1b[H\x1b[2J\x1b[1;1Hfixture ready\x1b[2;1H> snap me'), JSON.stringify(decoded.slice(0, 80)))
      assert.ok(decoded.endsWith('\x1b[4;3H'))

      w.send('snapshot_pty', { format: 'html' }, 's3')
      const bad = await w.waitFor((f) => f.type === 'snapshot_response' && f.request_id === 's3')
      assert.equal((bad.payload as { error: { code: string } }).error.code, 'invalid_format')
    } finally {
      await w.stop()
    }
  })

  test('resize changes the snapshot size; a zero dimension is refused with the request id', async () => {
    const w = await readyEcho()
    try {
      w.send('resize_pty', { rows: 0, cols: 100 }, 'rz0')
      const err = await w.waitFor((f) => f.type === 'worker_error' && f.request_id === 'rz0')
      assert.equal((err.payload as { code: string }).code, 'invalid_dimensions')
      w.send('resize_pty', { rows: 30, cols: 100 }, 'rz1')
      w.send('snapshot_pty', { format: 'text' }, 'after')
      const snap = await w.waitFor((f) => f.type === 'snapshot_response' && f.request_id === 'after')
      const p = snap.payload as { rows: number; cols: number; screen: string }
      assert.deepEqual([p.rows, p.cols], [30, 100])
      assert.equal(p.screen.split('\n').length, 31)
      // The CLI sees the new size too.
      w.send('write_pty', { data: 'resized\r' })
      await waitUntil(() => w.streamText().includes('got: resized'), 5_000, 'echo after resize')
    } finally {
      await w.stop()
    }
  })

  test('write_pty and set_model reach the CLI; ping gets pong', async () => {
    const log = tempLog()
    const w = await readyEcho({ FIXTURE_LOG: log })
    try {
      w.send('write_pty', { data: 'typed by hand\r' }, 'wp')
      w.send('set_model', { model: 'opus' })
      w.send('ping', { ts_ms: 12345 }, 'p1')
      const pong = await w.waitFor((f) => f.type === 'pong')
      assert.deepEqual([pong.payload, pong.request_id], [{ ts_ms: 12345 }, 'p1'])
      await waitUntil(() => readJsonLines(log).length === 2, 5_000, 'two lines')
      assert.deepEqual(
        readJsonLines(log).map((l) => l.line),
        ['typed by hand', '/model opus']
      )
    } finally {
      await w.stop()
    }
  })

  test('invalid frames get worker_error with the right code and the child keeps working', async () => {
    const log = tempLog()
    const w = await readyEcho({ FIXTURE_LOG: log })
    try {
      const garbage = Buffer.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]) // length 3, body is not msgpack
      w.writeRaw(garbage)
      await w.waitFor((f) => f.type === 'worker_error' && (f.payload as { code: string }).code === 'invalid_frame')
      w.writeRaw(encodeFrame(envelope('teleport', { where: 'moon' }, 'u1')))
      const unknown = await w.waitFor((f) => f.type === 'worker_error' && f.request_id === 'u1')
      assert.equal((unknown.payload as { code: string }).code, 'unknown_type')
      w.writeRaw(encodeFrame(envelope('deliver_relay', { delivery_id: 'x' }, 'bad-d')))
      const badDelivery = await w.waitFor((f) => f.type === 'worker_error' && f.request_id === 'bad-d')
      assert.equal((badDelivery.payload as { retryable: boolean }).retryable, false)
      assert.equal((badDelivery.payload as { code: string }).code, 'invalid_delivery')
      // Still alive and delivering.
      w.deliver({ delivery_id: 'after-garbage', body: 'still here' })
      await w.waitFor(isDelivery('delivery_verified', 'after-garbage'))
      assert.equal(w.child.exitCode, null)
    } finally {
      await w.stop()
    }
  })
})
