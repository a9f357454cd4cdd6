/**
 * The journal's group commit (journal.ts `createdDurably`, `flush`): creations of one moment share
 * an fdatasync that runs off the loop; none resolves before an fdatasync that covers it succeeded;
 * a failed one cuts the file back to the last good fdatasync and refuses what waited for it.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeliveryJournal } from '../../../src/supervisor/delivery/journal.js'
import { DeliveryTracker } from '../../../src/supervisor/delivery/tracker.js'
import { NODE_APPEND_IO, StorageUnavailableError, type AppendIo } from '../../../src/supervisor/state/durable.js'

function fields(agent: string) {
  return { event_id: 'ev_1', from: 'x', to: agent, body: 'hi', thread_id: null, priority: 2, injection_mode: 'wait' as const, agent, deadline_ms: 1e15, idempotency_key: null }
}

/** Real file operations; the off-loop fdatasync is held until the test lets it run (or fail). */
class HeldSyncIo implements AppendIo {
  syncs = 0
  readonly held: { run: () => void; fail: () => void }[] = []
  write = NODE_APPEND_IO.write
  truncate = NODE_APPEND_IO.truncate
  datasync(fd: number): void {
    this.syncs++
    NODE_APPEND_IO.datasync(fd)
  }
  datasyncOffLoop(fd: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.held.push({
        run: () => {
          this.datasync(fd)
          resolve()
        },
        fail: () => reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
      })
    )
  }
  /** Lets the oldest held fdatasync finish, then lets its callbacks run. */
  async release(ok = true): Promise<void> {
    const h = this.held.shift()
    assert.ok(h, 'an fdatasync was started')
    if (ok) h.run()
    else h.fail()
    await new Promise((r) => setImmediate(r))
  }
}

function settled(p: Promise<unknown>): { state: 'pending' | 'ok' | 'failed'; err?: unknown } {
  const s: { state: 'pending' | 'ok' | 'failed'; err?: unknown } = { state: 'pending' }
  p.then(
    () => (s.state = 'ok'),
    (err: unknown) => {
      s.state = 'failed'
      s.err = err
    }
  )
  return s
}

describe('journal group commit', () => {
  test('creations written while an fdatasync runs share the next one; none resolves before its own is covered', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jg-')), 'deliveries.jsonl')
    const io = new HeldSyncIo()
    const j = new DeliveryJournal(path, { io })
    const t = new DeliveryTracker()
    const first = settled(j.createdDurably([t.create(fields('a'))]))
    const rest = Array.from({ length: 5 }, (_, i) => settled(j.createdDurably([t.create(fields(`b${i}`))])))
    await new Promise((r) => setImmediate(r))
    assert.equal(io.held.length, 1, 'one fdatasync at a time')
    assert.equal(first.state, 'pending', 'not answered before its fdatasync')
    await io.release()
    assert.equal(first.state, 'ok')
    assert.deepEqual(rest.map((s) => s.state), Array(5).fill('pending'), 'written after that fdatasync started: not covered by it')
    assert.equal(io.held.length, 1, 'the next fdatasync started for the waiting ones')
    await io.release()
    assert.deepEqual(rest.map((s) => s.state), Array(5).fill('ok'))
    assert.equal(io.syncs, 2, 'six creations, two fdatasyncs')
    j.close()
    assert.equal(DeliveryJournal.load(path).records.size, 6)
  })

  test('a failed fdatasync refuses the waiting creations and cuts them; the stage lines cut with them are written again', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jg-')), 'deliveries.jsonl')
    const io = new HeldSyncIo()
    const j = new DeliveryJournal(path, { io })
    const t = new DeliveryTracker()
    const kept = t.create(fields('kept'))
    j.created([kept]) // on disk (fdatasync on the loop)
    const size = readFileSync(path).length
    j.stage(kept.delivery_id, 'queued', 1)
    const refused = settled(j.createdDurably([t.create(fields('refused'))]))
    await new Promise((r) => setImmediate(r))
    await io.release(false)
    assert.equal(refused.state, 'failed')
    assert.ok(refused.err instanceof StorageUnavailableError && refused.err.cause_code === 'EIO', 'a 507, never a 200')
    assert.equal(readFileSync(path).length, size, 'cut back to the last good fdatasync')
    assert.equal(j.health.ok, false)
    const later = settled(j.createdDurably([t.create(fields('later'))]))
    await new Promise((r) => setImmediate(r))
    await io.release()
    assert.equal(later.state, 'ok')
    j.close()
    const state = DeliveryJournal.load(path)
    assert.deepEqual([...state.records.values()].map((r) => r.agent).sort(), ['kept', 'later'], 'the refused creation is not in the file')
    assert.equal(state.records.get(kept.delivery_id)?.stage, 'queued', 'the cut stage line was written again')
  })

  test('flush (the tick) syncs stage lines off the loop; close syncs on the loop and leaves nothing waiting', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jg-')), 'deliveries.jsonl')
    const io = new HeldSyncIo()
    const j = new DeliveryJournal(path, { io })
    const t = new DeliveryTracker()
    const a = t.create(fields('a'))
    j.created([a])
    j.stage(a.delivery_id, 'queued', 1)
    j.flush()
    assert.equal(io.held.length, 1)
    await io.release()
    const waiting = settled(j.createdDurably([t.create(fields('b'))]))
    j.close() // its own fdatasync covers the waiting creation
    await new Promise((r) => setImmediate(r))
    assert.equal(waiting.state, 'ok')
    assert.equal(DeliveryJournal.load(path).records.size, 2)
  })
})
