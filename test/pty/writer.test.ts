/** The ordered PTY writer, against node-pty's real internals. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import pty from 'node-pty'
import { ptyWriteQueue, PtyWriter, sleep } from '../../src/pty/writer.js'

describe('PtyWriter', () => {
  test('node-pty 1.1.0 internals: a spawned pty has _writeStream._writeQueue (drain detection depends on it)', async () => {
    const p = pty.spawn('/bin/cat', [], { name: 'xterm-256color', rows: 24, cols: 80, encoding: null })
    try {
      const internal = (p as unknown as { _writeStream?: { _writeQueue?: unknown } })._writeStream
      assert.ok(internal, 'UnixTerminal._writeStream exists')
      assert.ok(Array.isArray(internal._writeQueue), '_writeStream._writeQueue is an array')
      assert.equal(ptyWriteQueue(p), internal._writeQueue)
      const w = new PtyWriter(p)
      let echoed = ''
      p.onData((d) => (echoed += String(d)))
      w.write('x'.repeat(100_000))
      assert.ok(ptyWriteQueue(p).length >= 0)
      assert.equal(await w.drain(5_000), true)
      assert.equal(ptyWriteQueue(p).length, 0)
      await sleep(50)
      assert.ok(echoed.length > 0)
    } finally {
      p.kill('SIGKILL')
    }
  })

  test('a missing write queue fails loudly', () => {
    assert.throws(() => new PtyWriter({ write: () => {} } as never), /node-pty internals changed/)
  })

  test('jobs are exclusive: a write issued during a job lands after it', async () => {
    const written: string[] = []
    const fake = { write: (d: string) => written.push(d), _writeStream: { _writeQueue: [] as unknown[] } }
    const w = new PtyWriter(fake as never)
    const job = w.run(async (write) => {
      write('text')
      await sleep(30)
      write('\r')
    })
    w.write('REPLY')
    await job
    await sleep(0)
    assert.deepEqual(written, ['text', '\r', 'REPLY'])
    w.write('direct')
    assert.deepEqual(written.at(-1), 'direct', 'with nothing queued, writes go straight through')
  })

  test('drain reports false when the queue does not empty in time', async () => {
    const fake = { write: () => {}, _writeStream: { _writeQueue: [1] as unknown[] } }
    const w = new PtyWriter(fake as never)
    const t0 = Date.now()
    assert.equal(await w.drain(50), false)
    assert.ok(Date.now() - t0 >= 45)
  })
})
