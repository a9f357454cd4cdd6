/**
 * Deliveries to a plain terminal program (the generic profile, LINE_SUBMIT): queued ones are typed
 * back to back, each still one message with its own verification, in order, typed once; Enter
 * goes also when the program does not echo what is typed.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, isDelivery, readJsonLines, waitUntil, WorkerProcess } from '../harness.js'

const COUNT = 8

describe('back-to-back deliveries to a generic CLI', { concurrency: 2 }, () => {
  test('queued deliveries are each injected, acked and verified once, in order, and the CLI reads each line once', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'pty-b2b-')), 'fixture.jsonl')
    const w = new WorkerProcess(['node', ECHO_CLI], { env: { FIXTURE_LOG: log } })
    try {
      w.init()
      await w.waitType('worker_ready')
      // Same body each time: only the event id in the relay line tells them apart.
      const ids = Array.from({ length: COUNT }, (_, i) => `b2b-${i}`)
      for (const id of ids) w.deliver({ delivery_id: id, event_id: `ev-${id}`, body: 'same words every time' })
      await w.waitFor(isDelivery('delivery_verified', ids[COUNT - 1]!), 30_000)
      const of = (type: 'delivery_injected' | 'delivery_ack' | 'delivery_verified'): string[] => w.ofType(type).map((f) => f.payload.delivery_id)
      assert.deepEqual(of('delivery_injected'), ids, 'injected once each, in order')
      assert.deepEqual(of('delivery_ack'), ids)
      assert.deepEqual(of('delivery_verified'), ids, 'verified once each, in order')
      assert.equal(w.ofType('delivery_failed').length, 0)
      for (const id of ids) {
        const own = w.frames.filter((f) => (f.payload as { delivery_id?: string }).delivery_id === id).map((f) => f.type)
        assert.deepEqual(own, ['delivery_queued', 'delivery_injected', 'delivery_ack', 'delivery_verified'], id)
      }
      // Each verified one was typed as a line of its own: the program read exactly these lines.
      await waitUntil(() => readJsonLines(log).length >= COUNT, 10_000, 'the fixture to log every line')
      await new Promise((r) => setTimeout(r, 200))
      assert.deepEqual(
        readJsonLines(log).map((l) => l.line),
        ids.map((id) => `Relay message from alice [ev-${id}]: same words every time`)
      )
    } finally {
      await w.stop()
    }
  })

  test('a program that does not echo its input still gets Enter, and is verified by what it prints', async () => {
    const w = new WorkerProcess(['sh', '-c', 'stty -echo; echo no-echo ready; exec cat'])
    try {
      w.init()
      await w.waitType('worker_ready')
      await waitUntil(() => w.streamText().includes('no-echo ready'), 10_000, 'the program to start')
      w.deliver({ delivery_id: 'quiet-1', event_id: 'ev-q1', body: 'typed without an echo' })
      w.deliver({ delivery_id: 'quiet-2', event_id: 'ev-q2', body: 'and another one' })
      await w.waitFor(isDelivery('delivery_verified', 'quiet-2'), 20_000)
      assert.deepEqual(
        w.ofType('delivery_verified').map((f) => f.payload.delivery_id),
        ['quiet-1', 'quiet-2']
      )
      // cat printed each line once (after its Enter): no echo of the typing, no line typed twice.
      const text = w.streamText()
      assert.equal(text.split('Relay message from alice [ev-q1]: typed without an echo').length - 1, 1)
      assert.equal(text.split('Relay message from alice [ev-q2]: and another one').length - 1, 1)
    } finally {
      await w.stop()
    }
  })
})
