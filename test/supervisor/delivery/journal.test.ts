/** The write-ahead delivery journal and the dedup cache. */
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeliveryJournal } from '../../../src/supervisor/delivery/journal.js'
import { DeliveryTracker } from '../../../src/supervisor/delivery/tracker.js'
import { DedupCache } from '../../../src/supervisor/delivery/dedup-cache.js'
import { OffloadPool } from '../../../src/offload/pool.js'

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

describe('DeliveryJournal compaction in the offload pool', () => {
  const pool = new OffloadPool()
  after(() => pool.close())

  test('keeps the retained deliveries as journaled, and every line written while the worker ran', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'))
    const path = join(dir, 'deliveries.jsonl')
    const tracker = new DeliveryTracker()
    const j = new DeliveryJournal(path)
    const recs = Array.from({ length: 300 }, (_, i) => tracker.create({ ...fields(`agent-${i % 3}`), idempotency_key: null }))
    j.created(recs)
    for (const r of recs) {
      j.stage(r.delivery_id, 'queued', 1)
      tracker.advance(r.delivery_id, 'queued')
    }
    j.mode('agent-1', 'manual_flush')
    // keep only the first 100 (as the tracker would after evicting old finished ones)
    const keep = recs.slice(0, 100)
    const before = statSize(path)
    const done = j.compactInPool(pool, keep, new Map([['agent-1', 'manual_flush']]))
    assert.equal(j.compacting, true)
    // the loop keeps journaling while the worker replays and writes
    const late = tracker.create({ ...fields('agent-9'), idempotency_key: null })
    j.created([late])
    j.stage(recs[0]!.delivery_id, 'injected', 2)
    j.stage(late.delivery_id, 'queued', 3)
    await done
    assert.equal(j.compacting, false)
    assert.ok(statSize(path) < before, 'smaller than before')
    const state = DeliveryJournal.load(path)
    assert.equal(state.records.size, 101, '100 kept + 1 created during the compaction')
    assert.equal(state.records.get(recs[0]!.delivery_id)?.stage, 'injected', 'a stage written during the compaction')
    assert.deepEqual(state.records.get(recs[0]!.delivery_id)?.history.map((h) => h.stage), ['accepted', 'queued', 'injected'])
    assert.equal(state.records.get(recs[99]!.delivery_id)?.stage, 'queued')
    assert.equal(state.records.has(recs[100]!.delivery_id), false)
    assert.equal(state.records.get(late.delivery_id)?.stage, 'queued')
    assert.equal(state.modes.get('agent-1'), 'manual_flush')
    // the journal goes on in the new file
    j.stage(late.delivery_id, 'verified', 4)
    j.close()
    assert.equal(DeliveryJournal.load(path).records.get(late.delivery_id)?.stage, 'verified')
    assert.deepEqual(readdirSync(dir), ['deliveries.jsonl'], 'no temp file left')
  })
})

function statSize(path: string): number {
  return readFileSync(path).length
}

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
