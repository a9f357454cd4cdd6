/**
 * Who may adopt an orphaned child: only a caller that presents the secret recorded for it in the
 * state dir. A wrong secret or a wrong first frame is refused (`adopt_refused`, connection
 * closed) and the child keeps waiting; the real broker then adopts it. An ephemeral broker's
 * children are not kept forever: they stop their CLI and exit once their adoption window passes.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, statSync, existsSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, TestBroker, waitUntil } from '../../e2e/harness.js'
import { encodeFrame, envelope, FrameDecoder, workerToBrokerSchema, WORKER_TO_BROKER_TYPES, type WorkerToBrokerFrame } from '../../../src/protocol/index.js'
import { alive } from '../process/procs.js'

/** Sends one frame on a fresh connection to the socket; resolves with what comes back before it closes. */
function tryAdopt(path: string, frame: unknown): Promise<WorkerToBrokerFrame[]> {
  return new Promise((resolve, reject) => {
    const got: WorkerToBrokerFrame[] = []
    const decoder = new FrameDecoder<WorkerToBrokerFrame>({ schema: workerToBrokerSchema, knownTypes: WORKER_TO_BROKER_TYPES, onFrame: (f) => got.push(f), onError: reject })
    const s: Socket = connect(path)
    const timer = setTimeout(() => {
      s.destroy()
      reject(new Error(`socket not closed by the child; got ${JSON.stringify(got)}`))
    }, 5_000)
    s.on('data', (d: Buffer) => decoder.push(d))
    s.on('error', reject)
    s.on('close', () => {
      clearTimeout(timer)
      resolve(got)
    })
    s.on('connect', () => s.write(encodeFrame(frame)))
  })
}

test('a child refuses an adopter with the wrong secret, then the broker adopts it', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-refuse-'))
  const first = await new TestBroker({ stateDir: dir }).ready()
  let second: TestBroker | null = null
  try {
    await first.spawnAgent('gamma', ECHO_CLI)
    // The PID journal is written off the loop: it may not exist yet when the spawn answers.
    const journaled = () => (existsSync(join(dir, 'pids.json')) ? JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')).children[0]?.cli_pid > 0 : false)
    await waitUntil(journaled, 10_000, 'cli pid journaled')
    const entry = JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')).children[0]
    assert.equal(statSync(join(dir, 'pids.json')).mode & 0o777, 0o600, 'the journal holding the secrets is private')
    first.proc.kill('SIGKILL')
    await first.exited
    await waitUntil(() => existsSync(entry.adopt_socket), 5_000, 'adoption socket')
    assert.equal(statSync(entry.adopt_socket).mode & 0o777, 0o600, 'socket mode 0600')

    const wrong = await tryAdopt(entry.adopt_socket, envelope('adopt_worker', { secret: 'f'.repeat(64), broker_pid: process.pid }))
    assert.equal(wrong.length, 1, JSON.stringify(wrong))
    assert.equal(wrong[0]!.type, 'worker_error')
    assert.equal((wrong[0]!.payload as { code: string }).code, 'adopt_refused')
    assert.ok(!wrong.some((f) => f.type === 'worker_adopted'), 'nothing about the agent is told to a wrong adopter')

    const notFirst = await tryAdopt(entry.adopt_socket, envelope('ping', { ts_ms: 1 }))
    assert.equal((notFirst[0]!.payload as { code: string }).code, 'adopt_refused')
    assert.ok(alive(entry.worker_pid) && alive(entry.cli_pid), 'the child and its CLI keep running after refusals')

    second = await new TestBroker({ stateDir: dir }).ready()
    const agents = (await second.api('GET', '/api/spawned')).body.agents
    assert.equal(agents[0].pid, entry.worker_pid, 'adopted by the broker that knows the secret')
    assert.equal(agents[0].cli_pid, entry.cli_pid)
  } finally {
    await second?.stop()
    await first.stop()
  }
})

test('an ephemeral broker killed: its children exit by themselves after their adoption window', { timeout: 60_000 }, async () => {
  const broker = await new TestBroker({ ephemeral: true, env: { RELAY_ADOPT_WINDOW_MS: '1500' } }).ready()
  const events = broker.events()
  await events.opened
  await broker.spawnAgent('delta', ECHO_CLI)
  await events.waitKind('worker_ready', 'delta')
  events.close()
  const [a] = (await broker.api('GET', '/api/spawned')).body.agents
  broker.proc.kill('SIGKILL')
  await broker.exited
  await new Promise((r) => setTimeout(r, 300))
  assert.ok(alive(a.pid) && alive(a.cli_pid), 'still waiting to be adopted right after the kill')
  await waitUntil(() => !alive(a.pid) && !alive(a.cli_pid), 10_000, 'child and CLI gone after the window')
})
