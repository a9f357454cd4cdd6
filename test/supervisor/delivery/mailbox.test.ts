/** The supervisor-side mailbox: order, eviction, manual flush, requeue, deadlines. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Mailbox, evictionReason } from '../../../src/supervisor/delivery/mailbox.js'
import type { DeliveryRecord } from '../../../src/supervisor/delivery/tracker.js'

let seq = 0
function rec(priority: number, extra: Partial<DeliveryRecord> = {}): DeliveryRecord {
  seq++
  return {
    delivery_id: `del_${seq}`,
    event_id: `ev_${seq}`,
    agent: 'a',
    from: 'x',
    to: 'a',
    body: `body ${seq}`,
    thread_id: null,
    priority,
    injection_mode: 'wait',
    stage: 'accepted',
    reason: null,
    created_at: seq,
    deadline_ms: Number.MAX_SAFE_INTEGER,
    attempts: 0,
    idempotency_key: null,
    redelivered_as: null,
    history: [],
    ...extra
  }
}

describe('Mailbox', () => {
  test('hands out by priority, oldest first within a priority, within the window', () => {
    const box = new Mailbox(10)
    const low = rec(4)
    const a = rec(2)
    const urgent = rec(0)
    const b = rec(2)
    for (const r of [low, a, urgent, b]) assert.equal(box.enqueue(r), null)
    assert.deepEqual(box.take(2).map((r) => r.delivery_id), [urgent.delivery_id, a.delivery_id])
    assert.equal(box.inflightCount, 2)
    assert.deepEqual(box.take(5).map((r) => r.delivery_id), [b.delivery_id, low.delivery_id])
  })

  test('over the cap the oldest of the lowest droppable priority is evicted; P0/P1 never', () => {
    const box = new Mailbox(3)
    const p3old = rec(3)
    const p4 = rec(4)
    const p1 = rec(1)
    box.enqueue(p3old)
    box.enqueue(p4)
    box.enqueue(p1)
    assert.equal(box.enqueue(rec(2))?.delivery_id, p4.delivery_id)
    const p4new = rec(4)
    assert.equal(box.enqueue(p4new)?.delivery_id, p4new.delivery_id, 'a new lowest-priority message is the one dropped')
    const full = new Mailbox(2)
    full.enqueue(rec(0))
    full.enqueue(rec(1))
    assert.equal(full.enqueue(rec(1)), null, 'P0/P1 only: nothing is dropped, the cap is exceeded')
    assert.equal(full.waitingCount, 3)
  })

  test('eviction reasons say what happened: cap, more urgent, same priority, least urgent', () => {
    const box = new Mailbox(2)
    const a = rec(2)
    const b = rec(2)
    box.enqueue(a)
    box.enqueue(b)
    const same = rec(2)
    const evicted = box.enqueue(same)
    assert.equal(evicted?.delivery_id, a.delivery_id, 'the oldest of the same priority')
    assert.equal(evictionReason(evicted!, same, box.cap), 'mailbox_full: cap 2 reached; dropped this oldest waiting P2 message to make room for a newer message of the same priority')
    const urgent = rec(1)
    const forUrgent = box.enqueue(urgent)!
    assert.match(evictionReason(forUrgent, urgent, box.cap), /^mailbox_full: cap 2 reached; dropped this P2 message for a more urgent P1 one$/)
    const least = rec(4)
    assert.equal(box.enqueue(least), least)
    assert.match(evictionReason(least, least, box.cap), /^mailbox_full: cap 2 reached; this P4 message was the least urgent/)
    assert.doesNotMatch(evictionReason(evicted!, same, box.cap), /higher-priority/)
  })

  test('manual_flush parks; flush releases; requeue keeps the released state', () => {
    const box = new Mailbox()
    box.mode = 'manual_flush'
    const r1 = rec(2)
    const r2 = rec(2)
    box.enqueue(r1)
    box.enqueue(r2)
    assert.equal(box.take(5).length, 0)
    assert.deepEqual(box.parked().map((r) => r.delivery_id), [r1.delivery_id, r2.delivery_id])
    assert.equal(box.flush(), 2)
    assert.equal(box.parked().length, 0)
    const [first] = box.take(1)
    assert.equal(first?.delivery_id, r1.delivery_id)
    box.requeue(first!)
    assert.equal(box.inflightCount, 0)
    assert.deepEqual(box.take(5).map((r) => r.delivery_id), [r1.delivery_id, r2.delivery_id])
  })

  test('expire removes waiting deliveries past their deadline, in order', () => {
    const box = new Mailbox()
    const old1 = rec(2, { deadline_ms: 100 })
    const fresh = rec(2, { deadline_ms: 1_000 })
    const old2 = rec(3, { deadline_ms: 50 })
    for (const r of [old1, fresh, old2]) box.enqueue(r)
    assert.deepEqual(box.expire(200).map((r) => r.delivery_id), [old1.delivery_id, old2.delivery_id])
    assert.equal(box.waitingCount, 1)
    box.remove(fresh.delivery_id)
    assert.equal(box.waitingCount, 0)
  })
})
