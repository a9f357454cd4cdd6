/**
 * `broker headless opencode` as a child on the frame protocol, with a fake `opencode run --format
 * json` (test/fixtures/fake-provider-opencode.mjs): one process per turn, the session id carried
 * to the next turn, stages from its events, its own error text, its process gone on shutdown.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FrameChannel } from '../../src/protocol/channel.js'
import {
  BROKER_TO_WORKER_TYPES,
  brokerToWorkerSchema,
  WORKER_TO_BROKER_TYPES,
  workerToBrokerSchema,
  type BrokerToWorkerFrame,
  type WorkerToBrokerFrame
} from '../../src/protocol/frames.js'
import { BROKER_BIN, FIXTURES, pidAlive, readJsonLines, waitUntil } from '../e2e/harness.js'

void BROKER_TO_WORKER_TYPES

function fakeOpencode(): { bin: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fake-opencode-'))
  const bin = join(dir, 'opencode')
  const log = join(dir, 'calls.log')
  writeFileSync(bin, `#!/bin/sh\nFAKE_PROVIDER_LOG="${log}" exec "${process.execPath}" "${join(FIXTURES, 'fake-provider-opencode.mjs')}" "$@"\n`)
  chmodSync(bin, 0o755)
  return { bin, log }
}

function startChild(bin: string) {
  const child = spawn(process.execPath, [BROKER_BIN, 'headless', '--agent-name', 'oc', 'opencode', '--bin', bin, '--', '--model', 'fake/model'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, RELAY_LOG_LEVEL: 'warn' }
  })
  const frames: WorkerToBrokerFrame[] = []
  const channel = new FrameChannel<WorkerToBrokerFrame, BrokerToWorkerFrame>({
    input: child.stdout!,
    output: child.stdin!,
    inSchema: workerToBrokerSchema,
    inTypes: WORKER_TO_BROKER_TYPES,
    outSchema: brokerToWorkerSchema,
    onFrame: (f) => frames.push(f),
    onError: (e) => assert.fail(`frame error from the child: ${e.message}`),
    onEnd: () => {}
  })
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  const deliver = (id: string, body: string) =>
    channel.send('deliver_relay', { delivery_id: id, event_id: `ev_${id}`, from: 'boss', target: 'oc', body, injection_mode: 'wait' }, `r_${id}`)
  const of = (id: string) => frames.filter((f) => (f.payload as { delivery_id?: string }).delivery_id === id).map((f) => f.type)
  return { child, frames, channel, exited, deliver, of }
}

describe('broker headless opencode', () => {
  test('two turns share one session; stages from its events; its error text on failure; shutdown', async () => {
    const fake = fakeOpencode()
    const c = startChild(fake.bin)
    try {
      c.channel.send('init_worker', { agent: { name: 'oc', runtime: 'headless', provider: 'opencode', cli: 'opencode', args: [], channels: [] } })
      await waitUntil(() => c.frames.some((f) => f.type === 'worker_ready'), 5_000, 'worker_ready')
      assert.ok(!c.frames.some((f) => f.type === 'worker_started'), 'no process before the first turn')

      c.deliver('d1', 'first')
      await waitUntil(() => c.of('d1').includes('delivery_verified'), 5_000, 'd1 verified')
      c.deliver('d2', 'second')
      await waitUntil(() => c.frames.filter((f) => f.type === 'worker_stream' && (f.payload as { event_type?: string }).event_type === 'step_finish').length === 2, 5_000, 'd2 finished')
      for (const id of ['d1', 'd2']) {
        assert.deepEqual(c.of(id), ['delivery_queued', 'delivery_injected', 'delivery_active', 'delivery_ack', 'delivery_verified'], id)
      }
      const calls = readJsonLines(fake.log)
      assert.equal(calls.length, 2)
      assert.ok(!calls[0].argv.includes('--session'))
      const sid = calls[1].argv[calls[1].argv.indexOf('--session') + 1]
      assert.equal(sid, `ses_fake${calls[0].pid}`, 'the second turn continues the first one\'s session')
      assert.equal(calls[1].argv.at(-1), 'Relay message from boss [ev_d2]: second')
      assert.ok(calls[1].argv.includes('--model'))
      assert.notEqual(calls[0].stdin, 'pipe', 'stdin is not left open (opencode would wait for it)')
      assert.equal(calls[0].permission, '{"*":"allow","external_directory":{"*":"allow"}}')
      const types = c.frames.filter((f) => f.type === 'worker_stream').map((f) => (f.payload as { event_type?: string }).event_type)
      assert.deepEqual(types.slice(0, 3), ['step_start', 'text', 'step_finish'])

      c.deliver('d3', 'AUTH_FAIL')
      await waitUntil(() => c.of('d3').includes('delivery_failed'), 5_000, 'd3 failed')
      const failed = c.frames.find((f) => f.type === 'delivery_failed')!
      assert.deepEqual(failed.payload, { delivery_id: 'd3', event_id: 'ev_d3', reason: 'Invalid API key', stage: 'injected' })

      c.deliver('d4', 'SLOW')
      await waitUntil(() => readJsonLines(fake.log).length === 4 && c.of('d4').includes('delivery_injected'), 5_000, 'd4 running')
      const slowPid = readJsonLines(fake.log)[3].pid as number
      assert.ok(pidAlive(slowPid))
      c.channel.send('shutdown_worker', { reason: 'release', grace_ms: 500 })
      assert.equal(await c.exited, 0)
      assert.equal(pidAlive(slowPid), false, 'the running turn process is gone')
      assert.deepEqual(c.of('d4').at(-1), 'delivery_failed')
      assert.ok(c.frames.some((f) => f.type === 'worker_exited'))
    } finally {
      c.child.kill('SIGKILL')
    }
  })

  test('an unknown provider is a usage error', async () => {
    const child = spawn(process.execPath, [BROKER_BIN, 'headless', 'aider'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
    assert.equal(code, 2)
    assert.match(err, /provider 'aider' does not support headless transport \(supported: claude, opencode\)/)
  })
})
