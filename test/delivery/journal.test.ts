/** The write-ahead delivery journal and the dedup cache. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeliveryJournal } from '../../src/supervisor/delivery-journal.js'
import { DeliveryTracker } from '../../src/supervisor/delivery-tracker.js'
import { DedupCache } from '../../src/supervisor/dedup-cache.js'

function fields(agent: string) {
  return { event_id: 'ev_1', from: 'x', to: agent, body: 'hi', thread_id: null, priority: 2, injection_mode: 'wait' as const, agent, deadline_ms: 1e15, idempotency_key: 'k1' }
}

describe('DeliveryJournal', () => {
  test('replays creations, stages and attempts; ignores a torn last line', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'journal-')), 'deliveries.jsonl')
    const tracker = new DeliveryTracker()
    const j = new DeliveryJournal(path)
    const a = tracker.create(fields('a'))
    const b = tracker.create(fields('b'))
    j.created([a, b])
    j.stage(a.delivery_id, 'queued', 1)
    j.stage(a.delivery_id, 'injected', 2)
    j.stage(b.delivery_id, 'dead_lettered', 3, 'mailbox_full')
    j.attempt(a.delivery_id, 2)
    j.mode('a', 'manual_flush')
    j.close()
    appendFileSync(path, '{"t":"s","id":"')
    const state = DeliveryJournal.load(path)
    assert.equal(state.records.get(a.delivery_id)?.stage, 'injected')
    assert.equal(state.records.get(a.delivery_id)?.attempts, 2)
    assert.deepEqual(state.records.get(a.delivery_id)?.history.map((h) => h.stage), ['accepted', 'queued', 'injected'])
    assert.equal(state.records.get(b.delivery_id)?.stage, 'dead_lettered')
    assert.equal(state.records.get(b.delivery_id)?.reason, 'mailbox_full')
    assert.equal(state.modes.get('a'), 'manual_flush')
  })

  test('compaction keeps exactly what it is given', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'journal-')), 'deliveries.jsonl')
    const tracker = new DeliveryTracker()
    const j = new DeliveryJournal(path)
    const a = tracker.create(fields('a'))
    j.created([a])
    j.stage(a.delivery_id, 'queued', 1)
    tracker.advance(a.delivery_id, 'queued')
    j.compact(tracker.retained(), new Map([['a', 'manual_flush']]))
    const lines = readFileSync(path, 'utf8').trim().split('\n')
    assert.equal(lines.length, 2)
    const state = DeliveryJournal.load(path)
    assert.equal(state.records.get(a.delivery_id)?.stage, 'queued')
    j.stage(a.delivery_id, 'verified', 5)
    j.close()
    assert.equal(DeliveryJournal.load(path).records.get(a.delivery_id)?.stage, 'verified')
  })
})

describe('DedupCache', () => {
  test('a key is new once per TTL; expired entries are purged; size is bounded', () => {
    const c = new DedupCache<number>(1_000, 3)
    c.set('a', 1, 0)
    assert.equal(c.get('a', 500), 1)
    assert.equal(c.get('a', 1_000), undefined)
    c.set('b', 2, 10)
    c.set('c', 3, 20)
    c.set('d', 4, 30)
    assert.equal(c.size, 3)
    c.purge(1_015)
    assert.equal(c.get('b', 1_015), undefined)
    assert.equal(c.get('d', 1_015), 4)
    c.restore('old', 0, 9, 5_000)
    assert.equal(c.get('old', 5_000), undefined, 'expired entries from the journal are not restored')
  })
})
