/** worker_stream batching with a streaming UTF-8 decoder. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { StreamBatcher } from '../../src/pty/stream.js'

describe('StreamBatcher', () => {
  test('a multi-byte character split across chunks survives', () => {
    const out: string[] = []
    const b = new StreamBatcher((c) => out.push(c), 1_000_000, 1_000)
    const bytes = Buffer.from('a❯b😀c', 'utf8')
    // Split inside ❯ (3 bytes) and inside 😀 (4 bytes), one byte at a time.
    for (let i = 0; i < bytes.length; i++) b.push(bytes.subarray(i, i + 1))
    b.flush(true)
    assert.deepEqual(out, ['a❯b😀c'])
    b.dispose()
  })

  test('flushes at the byte limit', () => {
    const out: string[] = []
    const b = new StreamBatcher((c) => out.push(c), 8, 10_000)
    b.push(Buffer.from('1234'))
    assert.equal(out.length, 0)
    b.push(Buffer.from('5678'))
    assert.deepEqual(out, ['12345678'])
    b.dispose()
  })

  test('flushes after the flush interval from the first unflushed byte', async () => {
    const out: string[] = []
    const b = new StreamBatcher((c) => out.push(c), 1_000_000, 30)
    b.push(Buffer.from('x'))
    b.push(Buffer.from('y'))
    assert.equal(out.length, 0)
    await new Promise((r) => setTimeout(r, 80))
    assert.deepEqual(out, ['xy'])
    b.dispose()
  })

  test('a dangling partial character is replaced on the final flush only', () => {
    const out: string[] = []
    const b = new StreamBatcher((c) => out.push(c), 1_000_000, 10_000)
    b.push(Buffer.from([0x61, 0xe2, 0x9d]))
    b.flush()
    assert.deepEqual(out, ['a'])
    b.flush(true)
    assert.deepEqual(out, ['a', '\ufffd'])
    b.dispose()
  })
})
