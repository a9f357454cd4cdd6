/**
 * The child's side of adoption (src/child/worker-link.ts), with a fake supervisor: a `broker pty`
 * that loses its stdio keeps its CLI, buffers what it would send and listens on its socket; it
 * hands its buffered frames to an adopter with the secret; it stops by itself when nobody adopts
 * it within its window; and it does not wait at all when the PID journal does not name it.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { encodeFrame, envelope, FrameDecoder, workerToBrokerSchema, WORKER_TO_BROKER_TYPES, type WorkerToBrokerFrame } from '../../src/protocol/index.js'
import { processAlive } from '../../src/terminate/index.js'
import { ECHO_CLI, waitUntil, WorkerProcess } from './harness.js'

const alive = processAlive

function setup(recorded: boolean, windowMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'relay-orphan-'))
  const mark = randomUUID()
  const journal = join(dir, 'pids.json')
  writeFileSync(journal, JSON.stringify({ children: recorded ? [{ env_marker: `RELAY_WORKER_MARK=${mark}` }] : [] }))
  const adoption = { socket_path: join(dir, 'a.sock'), secret: 's'.repeat(64), window_ms: windowMs, journal_path: journal }
  const w = new WorkerProcess(['node', ECHO_CLI], { env: { RELAY_WORKER_MARK: mark } })
  w.send('init_worker', { agent: { name: 't1', runtime: 'pty', cli: 'node', args: [], channels: [] }, adoption })
  return { w, adoption }
}

describe('broker pty without a supervisor', { concurrency: 1 }, () => {
  test('keeps its CLI, finishes a delivery alone, hands the buffered frames to the adopter', async () => {
    const { w, adoption } = setup(true, 30_000)
    try {
      const started = await w.waitType('worker_started')
      await w.waitType('worker_ready')
      w.deliver({ delivery_id: 'del_alone', body: 'typed while alone' })
      w.child.stdin!.end() // the supervisor is gone (as far as the child can tell)
      await waitUntil(() => existsSync(adoption.socket_path), 5_000, 'adoption socket')
      assert.ok(alive(started.payload.cli_pid), 'the CLI keeps running')
      await new Promise((r) => setTimeout(r, 1_500)) // the delivery is typed and verified meanwhile
      const got: WorkerToBrokerFrame[] = []
      const decoder = new FrameDecoder<WorkerToBrokerFrame>({ schema: workerToBrokerSchema, knownTypes: WORKER_TO_BROKER_TYPES, onFrame: (f) => got.push(f), onError: () => {} })
      const s = connect(adoption.socket_path)
      s.on('data', (d: Buffer) => decoder.push(d))
      s.on('connect', () => s.write(encodeFrame(envelope('adopt_worker', { secret: adoption.secret, broker_pid: process.pid }))))
      await waitUntil(() => got.some((f) => f.type === 'delivery_verified'), 10_000, 'the buffered verification')
      const hello = got[0]!
      assert.equal(hello.type, 'worker_adopted')
      const st = hello.payload as { ready: boolean; cli_pid: number; verified_alone: string[]; downtime_ms: number }
      assert.equal(st.ready, true)
      assert.equal(st.cli_pid, started.payload.cli_pid)
      assert.deepEqual(st.verified_alone, ['del_alone'])
      assert.ok(!existsSync(adoption.socket_path), 'no socket once adopted')
      // The adopter talks to it like the supervisor did.
      s.write(encodeFrame(envelope('ping', { ts_ms: 7 }, 'r1')))
      await waitUntil(() => got.some((f) => f.type === 'pong'), 5_000, 'pong over the socket')
      s.write(encodeFrame(envelope('shutdown_worker', { reason: 'done', grace_ms: 500 })))
      await w.exited
      assert.ok(got.some((f) => f.type === 'worker_exited'))
    } finally {
      await w.stop()
    }
  })

  test('nobody adopts it: it stops its CLI and exits after its window', async () => {
    const { w } = setup(true, 800)
    const started = await w.waitType('worker_started')
    w.child.stdin!.end()
    await new Promise((r) => setTimeout(r, 300))
    assert.ok(alive(started.payload.cli_pid), 'waiting')
    await w.exited
    await waitUntil(() => !alive(started.payload.cli_pid), 3_000, 'the CLI gone')
  })

  test('not in the PID journal: it cannot be adopted, so it stops at once', async () => {
    const { w, adoption } = setup(false, 60_000)
    const started = await w.waitType('worker_started')
    w.child.stdin!.end()
    await w.exited
    assert.ok(!existsSync(adoption.socket_path))
    await waitUntil(() => !alive(started.payload.cli_pid), 3_000, 'the CLI gone')
  })
})
