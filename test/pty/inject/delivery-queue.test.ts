/** The child's delivery queue (priority, FIFO, bound) and its memory of delivery ids. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { DeliveryQueue, priorityOf, SeenDeliveries } from '../../../src/pty/inject/delivery-queue.js'

describe('DeliveryQueue', () => {
  test('lower priority number first, FIFO within a priority, null counts as 2', () => {
    const q = new DeliveryQueue<string>()
    q.push('a2', 2)
    q.push('b-null', null)
    q.push('c4', 4)
    q.push('d0', 0)
    q.push('e-undef', undefined)
    q.push('f1', 1)
    assert.equal(q.size, 6)
    assert.deepEqual(q.drain(), ['d0', 'f1', 'a2', 'b-null', 'e-undef', 'c4'])
    assert.equal(q.size, 0)
    assert.equal(q.shift(), undefined)
  })

  test('refuses items beyond its bound', () => {
    const q = new DeliveryQueue<number>(2)
    assert.ok(q.push(1, 2))
    assert.ok(q.push(2, 2))
    assert.equal(q.push(3, 0), false)
    assert.equal(q.shift(), 1)
    assert.ok(q.push(3, 0))
    assert.deepEqual(q.drain(), [3, 2])
  })

  test('keeps order over many interleaved pushes and shifts', () => {
    const q = new DeliveryQueue<number>(10_000)
    const out: number[] = []
    for (let i = 0; i < 500; i++) {
      q.push(i, 2)
      if (i % 3 === 0) out.push(q.shift()!)
    }
    out.push(...q.drain())
    assert.deepEqual(out, Array.from({ length: 500 }, (_, i) => i))
  })

  test('priorityOf clamps', () => {
    assert.equal(priorityOf(9), 4)
    assert.equal(priorityOf(-1), 0)
    assert.equal(priorityOf(null), 2)
  })
})

describe('SeenDeliveries', () => {
  test('remembers the last status and forgets the oldest id beyond its bound', () => {
    const s = new SeenDeliveries(2)
    s.record('a', { type: 'delivery_queued', payload: { delivery_id: 'a' } })
    s.record('a', { type: 'delivery_injected', payload: { delivery_id: 'a' } })
    assert.equal(s.last('a')?.type, 'delivery_injected')
    s.record('b', { type: 'delivery_queued', payload: {} })
    s.record('c', { type: 'delivery_queued', payload: {} })
    assert.equal(s.has('a'), false)
    assert.ok(s.has('b') && s.has('c'))
    assert.equal(s.size, 2)
  })
})
