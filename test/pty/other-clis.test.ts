/** CLIs other than the echo fixture: one that never echoes (verification must fail) and `cat` (prints nothing until typed to). */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { isDelivery, MUTE_CLI, WorkerProcess } from './harness.js'

describe('broker pty with other CLIs', { concurrency: 2 }, () => {
  test('a CLI that never shows the text: delivery_failed with the echo reason, never verified', async () => {
    const w = new WorkerProcess(['node', MUTE_CLI])
    try {
      w.init({ verify_window_secs: 1 })
      const ready = await w.waitType('worker_ready')
      assert.equal(ready.payload.reason, 'prompt')
      w.deliver({ delivery_id: 'm1', body: 'into the void' }, 'rm1')
      const failed = await w.waitFor(isDelivery('delivery_failed', 'm1'), 5_000)
      assert.deepEqual(failed.payload, {
        delivery_id: 'm1',
        event_id: 'ev_m1',
        reason: 'echo not seen on screen within 1s',
        stage: 'injected'
      })
      assert.equal(failed.request_id, 'rm1')
      assert.ok(w.frames.some(isDelivery('delivery_injected', 'm1')))
      assert.ok(!w.frames.some((f) => f.type === 'delivery_verified' || f.type === 'delivery_ack'))
      // A re-send learns the failure.
      w.deliver({ delivery_id: 'm1', body: 'into the void' }, 'rm1-again')
      const again = await w.waitFor((f) => f.type === 'delivery_failed' && f.request_id === 'rm1-again')
      assert.equal((again.payload as { stage: string }).stage, 'injected')
      assert.equal(w.ofType('delivery_injected').length, 1)
    } finally {
      await w.stop()
    }
  })

  test('cat is ready as silent, and a delivery to it is verified', async () => {
    const w = new WorkerProcess(['cat'])
    try {
      w.init()
      const ready = await w.waitType('worker_ready')
      assert.equal(ready.payload.reason, 'silent')
      w.deliver({ delivery_id: 'c1', body: 'meow' })
      await w.waitFor(isDelivery('delivery_verified', 'c1'))
      assert.match(w.streamText(), /Relay message from alice \[ev_c1\]: meow/)
    } finally {
      await w.stop()
    }
  })

  test('terminal queries are answered from the screen model (cursor position report)', async () => {
    const script =
      "process.stdin.setRawMode(true); process.stdout.write('abc\\x1b[6n');" +
      "process.stdin.once('data', (d) => { process.stdout.write('\\r\\nreply=' + JSON.stringify(String(d)) + '\\r\\n> '); process.stdin.setRawMode(false) })"
    const w = new WorkerProcess(['node', '-e', script])
    try {
      w.init()
      await w.waitType('worker_ready')
      await new Promise((r) => setTimeout(r, 100))
      assert.match(w.streamText(), /reply="\\u001b\[1;4R"/)
    } finally {
      await w.stop()
    }
  })
})
