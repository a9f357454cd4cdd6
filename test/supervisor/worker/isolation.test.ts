/**
 * Hostile neighbours: a stopped child whose stdin pipe is full, a child flooding output to a
 * WS client that does not read. The supervisor keeps answering and delivering to the others,
 * and its memory stays bounded. These tests assert behaviour — nothing lost, nothing blocked
 * until a time-out, refusals before the time-out they avoid — never wall-clock figures; the
 * latencies and loop delays are in `npm run bench` (test/bench/isolation.ts).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { ECHO_CLI, TestBroker, type EventLog } from '../../e2e/harness.js'
import { WorkerHandle, WorkerRequestError } from '../../../src/supervisor/worker/handle.js'
import { sleep } from '../process/procs.js'
import { WORKER_REQUEST_TIMEOUT_MS } from '../../../src/supervisor/worker/handle.js'

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : 0
}

/** A generous bound for "not blocked forever" (a loaded CI machine is slow, not stuck). */
const NOT_STUCK_MS = 60_000

/** Sends one message and waits for its terminal stage: it must end verified. */
async function roundTrip(broker: TestBroker, events: EventLog, to: string, text: string): Promise<void> {
  const res = await broker.api('POST', '/api/send', { to, text })
  assert.equal(res.status, 200)
  const id = res.body.deliveries[0].delivery_id
  const end = await events.waitFor((e) => ['delivery_verified', 'delivery_failed', 'delivery_dead_lettered'].includes(e.kind) && e.delivery_id === id, NOT_STUCK_MS)
  assert.equal(end.kind, 'delivery_verified')
}

/** Resolves `'done'` if `p` settles first, `'timer'` if `ms` pass first. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<'done' | 'timer'> {
  let timer: NodeJS.Timeout | undefined
  const r = await Promise.race([p.then(() => 'done' as const, () => 'done' as const), new Promise<'timer'>((resolve) => (timer = setTimeout(() => resolve('timer'), ms)))])
  clearTimeout(timer)
  return r
}

test('a SIGSTOPped neighbour with a full stdin pipe blocks nothing', async () => {
  const broker = await new TestBroker().ready()
  const events = broker.events()
  let frozenPid = 0
  try {
    await events.opened
    await broker.spawnAgent('healthy', ECHO_CLI)
    frozenPid = (await broker.spawnAgent('frozen', ECHO_CLI)).pid
    await events.waitKind('worker_ready', 'healthy')
    await events.waitKind('worker_ready', 'frozen')
    process.kill(frozenPid, 'SIGSTOP')

    // 40 messages of 4 KB to the stopped agent: accepted at once, they wait for it.
    const big = 'x'.repeat(4_096)
    const sends = await Promise.all(Array.from({ length: 40 }, (_, i) => broker.api('POST', '/api/send', { to: 'frozen', text: `${i} ${big}` })))
    assert.deepEqual(new Set(sends.map((r) => r.status)), new Set([200]), 'all 40 accepted')
    const open = (await broker.api('GET', '/api/deliveries?name=frozen')).body.deliveries as unknown[]
    assert.equal(open.length, 40, 'all 40 wait for it, none lost')
    // Fill its stdin pipe past the high-water mark with terminal input (1.5 MB each).
    const chunk = 'y'.repeat(1_500_000)
    const inputs = Promise.all([0, 1, 2, 3].map(() => broker.api('POST', '/api/input/frozen', { data: chunk })))
    const congested = await events.waitFor((e) => e.kind === 'worker_error' && e.name === 'frozen' && e.code === 'stdin_backlog', 10_000)
    assert.match(String(congested.message), /not reading its input/)

    // Everyone else carries on.
    for (let i = 0; i < 10; i++) {
      await roundTrip(broker, events, 'healthy', `still here ${i}`)
      const list = await broker.api('GET', '/api/spawned')
      assert.equal(list.status, 200)
    }
    // A snapshot of the stopped child is refused at once instead of queueing behind its full
    // pipe: it answers well before the worker request time-out it would otherwise wait for.
    const snapshot = broker.api('GET', '/api/spawned/frozen/snapshot')
    assert.equal(await settlesWithin(snapshot, WORKER_REQUEST_TIMEOUT_MS / 2), 'done', 'answered before half the request time-out')
    assert.equal((await snapshot).status, 504)
    const m = (await broker.api('GET', '/api/metrics?agent=frozen')).body.agents[0]
    assert.equal(m.stdin_congested, true)
    assert.ok(m.stdin_backlog_bytes > 4 * 1024 * 1024)
    assert.ok(m.stdin_backlog_bytes < 16 * 1024 * 1024, 'bounded: the input writer waits below the high-water mark')

    process.kill(frozenPid, 'SIGCONT')
    await inputs
    const release = await broker.api('DELETE', '/api/spawned/frozen')
    assert.equal(release.status, 200)
  } finally {
    if (frozenPid) {
      try {
        process.kill(frozenPid, 'SIGCONT')
      } catch {
        // gone
      }
    }
    events.close()
    await broker.stop()
  }
})

test('a neighbour flooding output to a WS client that never reads: bounded supervisor memory, others unaffected', async () => {
  const broker = await new TestBroker().ready()
  const events = broker.events()
  const stuck = new WebSocket(`${broker.url.replace(/^http/, 'ws')}/ws`, { headers: { 'x-api-key': broker.apiKey } })
  try {
    await events.opened
    await new Promise<void>((resolve, reject) => {
      stuck.once('open', () => resolve())
      stuck.once('error', reject)
    })
    ;(stuck as unknown as { _socket: { pause(): void } })._socket.pause()
    await broker.spawnAgent('healthy', ECHO_CLI)
    await events.waitKind('worker_ready', 'healthy')
    await roundTrip(broker, events, 'healthy', 'warm up')
    const before = rss(broker.proc.pid!)
    await broker.spawnAgent('flood', 'yes', { args: ['flooding the terminal at full speed'] })
    // Round trips to the healthy agent while the flood goes on, until it has pushed a real
    // amount of output through the supervisor (however long a loaded machine needs for that).
    let trips = 0
    let streamed = 0
    const giveUp = Date.now() + NOT_STUCK_MS
    while (streamed < 1_000_000 || trips < 3) {
      assert.ok(Date.now() < giveUp, `the flood pushed only ${streamed} bytes`)
      await roundTrip(broker, events, 'healthy', `during the flood ${trips++}`)
      streamed = (await broker.api('GET', '/api/metrics?agent=flood')).body.agents[0].stream_bytes
    }
    const after = rss(broker.proc.pid!)
    assert.ok(after - before < 96 * 2 ** 20, `supervisor RSS grew by ${((after - before) / 2 ** 20).toFixed(1)} MiB`)
    // Every round trip during the flood ended verified (roundTrip asserts it); the latencies and
    // the loop delay during a flood are figures for `npm run bench`, not pass/fail here.
  } finally {
    stuck.terminate()
    events.close()
    await broker.stop()
  }
})

test('WorkerHandle: over the stdin high-water mark optional frames are refused and reported once; deliveries still go', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-handle-'))
  const congestion: boolean[] = []
  let exited = false
  const handle = new WorkerHandle({
    spec: { name: 'deaf', runtime: 'pty', cli: 'node', args: [], channels: [] },
    // A child that never reads its stdin.
    argv: ['-e', 'setInterval(() => {}, 1000)'],
    env: process.env,
    cwd: dir,
    logFile: join(dir, 'deaf.log'),
    stdinHighWaterBytes: 256 * 1024,
    onFrame: () => {},
    onFrameError: () => {},
    onExit: () => {
      exited = true
    },
    onCongestion: (_h, c) => congestion.push(c)
  })
  handle.start()
  try {
    const data = 'z'.repeat(64 * 1024)
    for (let i = 0; i < 10; i++) assert.equal(handle.send('write_pty', { data }), true)
    assert.equal(handle.congested, true)
    assert.deepEqual(congestion, [true], 'reported once')
    assert.equal(handle.send('ping', { ts_ms: Date.now() }), false, 'optional frame refused')
    assert.equal(handle.send('resize_pty', { rows: 30, cols: 100 }), false)
    assert.equal(handle.framesRefused, 2)
    const refused = handle.request('snapshot_pty', { format: 'plain' })
    assert.equal(await settlesWithin(refused, WORKER_REQUEST_TIMEOUT_MS / 2), 'done', 'refused at once, not after the request time-out')
    await assert.rejects(refused, (err: unknown) => err instanceof WorkerRequestError && err.code === 'worker_timeout')
    const delivery = { delivery_id: 'del_1', event_id: 'e1', workspace_id: 'local', workspace_alias: null, from: 'a', target: 'deaf', body: 'hi', thread_id: null, priority: 2, injection_mode: 'wait' as const }
    assert.equal(handle.send('deliver_relay', delivery), true, 'deliveries are never refused')
    // The event loop is free meanwhile: a timer still fires.
    await sleep(0)
  } finally {
    handle.kill()
    await handle.waitForExit()
  }
  assert.equal(exited, true)
})
