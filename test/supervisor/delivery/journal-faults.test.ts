/**
 * The journal and the atomic writes under storage faults, injected at the file layer (the
 * `AppendIo` the journal writes through): short writes, ENOSPC mid-record, fsync errors. The
 * real full disk (tmpfs) is test/e2e/full-disk.test.ts.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeliveryJournal } from '../../../src/supervisor/delivery/journal.js'
import { DeliveryTracker } from '../../../src/supervisor/delivery/tracker.js'
import { NODE_APPEND_IO, StorageUnavailableError, appendRecord, type AppendIo } from '../../../src/supervisor/state/durable.js'
import { AsyncJsonFile } from '../../../src/supervisor/state/async-file.js'
import { TestBroker } from '../../e2e/harness.js'

function fields(agent: string) {
  return { event_id: 'ev_1', from: 'x', to: agent, body: 'hi', thread_id: null, priority: 2, injection_mode: 'wait' as const, agent, deadline_ms: 1e15, idempotency_key: null }
}

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
}

/** Real file operations, with faults switched on and off by the test. */
class FaultyIo implements AppendIo {
  /** Bytes the next writes may still take before ENOSPC (Infinity: no fault). */
  room = Infinity
  /** Each write takes at most this many bytes (a short write). */
  maxPerWrite = Infinity
  failSync = false
  write(fd: number, buf: Buffer, offset: number, length: number): number {
    if (this.room <= 0) throw enospc()
    const n = Math.min(length, this.room, this.maxPerWrite)
    const written = NODE_APPEND_IO.write(fd, buf, offset, n)
    this.room -= written
    return written
  }
  truncate(fd: number, length: number): void {
    NODE_APPEND_IO.truncate(fd, length)
  }
  datasync(fd: number): void {
    if (this.failSync) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })
    NODE_APPEND_IO.datasync(fd)
  }
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n')
}

describe('journal under storage faults (injected at the file layer)', () => {
  test('short writes are continued: the record is complete', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jf-')), 'deliveries.jsonl')
    const io = new FaultyIo()
    io.maxPerWrite = 7
    const j = new DeliveryJournal(path, { io })
    const t = new DeliveryTracker()
    const a = t.create(fields('a'))
    j.created([a])
    j.close()
    const state = DeliveryJournal.load(path)
    assert.equal(state.records.get(a.delivery_id)?.delivery_id, a.delivery_id)
    assert.equal(state.report.torn + state.report.unreadable, 0)
  })

  test('ENOSPC mid-record: a creation throws storage_unavailable, the file is cut back, the next record lands on a clean line', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jf-')), 'deliveries.jsonl')
    const io = new FaultyIo()
    const j = new DeliveryJournal(path, { io })
    const t = new DeliveryTracker()
    const ok1 = t.create(fields('a'))
    j.created([ok1])
    const sizeBefore = readFileSync(path).length
    io.room = 20 // the next record is torn after 20 bytes
    const refused = t.create(fields('a'))
    assert.throws(() => j.created([refused]), (err: unknown) => err instanceof StorageUnavailableError && err.code === 'storage_unavailable' && /ENOSPC/.test(err.message))
    assert.equal(readFileSync(path).length, sizeBefore, 'cut back to the last complete record')
    assert.equal(j.health.ok, false)
    // Stage lines that cannot be written wait in order.
    j.stage(ok1.delivery_id, 'queued', 5)
    assert.equal(j.health.backlog, 1)
    io.room = Infinity // space is back
    const ok2 = t.create(fields('a'))
    j.created([ok2])
    assert.equal(j.health.ok, true)
    assert.equal(j.health.backlog, 0)
    j.close()
    const state = DeliveryJournal.load(path)
    assert.deepEqual([...state.records.keys()], [ok1.delivery_id, ok2.delivery_id])
    assert.equal(state.records.get(ok1.delivery_id)?.stage, 'queued', 'the waiting stage line was written first')
    assert.equal(state.records.has(refused.delivery_id), false)
    assert.deepEqual(state.report, { lines: 3, torn: 0, unreadable: 0, orphaned: 0, reasons: [] })
    assert.ok(lines(path).slice(0, -1).every((l) => JSON.parse(l)), 'every line is a whole record')
  })

  test('an fsync error is an error: the creation is refused and not left in the file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jf-')), 'deliveries.jsonl')
    const io = new FaultyIo()
    const j = new DeliveryJournal(path, { io })
    const t = new DeliveryTracker()
    io.failSync = true
    const a = t.create(fields('a'))
    assert.throws(() => j.created([a]), (err: unknown) => err instanceof StorageUnavailableError && err.cause_code === 'EIO')
    assert.equal(readFileSync(path).length, 0)
    io.failSync = false
    j.created([a])
    j.close()
    assert.equal(DeliveryJournal.load(path).records.size, 1)
  })

  test('replay reports torn and unreadable records with reasons, and the torn tail is cut before appending', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jf-')), 'deliveries.jsonl')
    const t = new DeliveryTracker()
    const j = new DeliveryJournal(path)
    const a = t.create(fields('a'))
    j.created([a])
    j.close()
    appendFileSync(path, 'garbage that is not json\n{"t":"s","id":"del_missing","stage":"queued","at":1}\n{"t":"c","r":{"deliv')
    const state = DeliveryJournal.load(path)
    assert.equal(state.report.torn, 1)
    assert.equal(state.report.unreadable, 1)
    assert.equal(state.report.orphaned, 1)
    assert.equal(state.report.reasons.length, 3)
    assert.match(state.report.reasons.join('; '), /torn last record/)
    const reopened = new DeliveryJournal(path, { validBytes: state.validBytes })
    const b = t.create(fields('b'))
    reopened.created([b])
    reopened.close()
    const again = DeliveryJournal.load(path)
    assert.equal(again.report.torn, 0, 'the new record did not land on the torn line')
    assert.ok(again.records.has(b.delivery_id))
  })

  test('appendRecord: a failure after a partial write cuts the file back', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jf-')), 'f')
    writeFileSync(path, 'complete\n')
    const io = new FaultyIo()
    io.room = 3
    const fd = openSync(path, 'a')
    assert.throws(() => appendRecord(io, fd, path, 9, Buffer.from('partial record\n')), StorageUnavailableError)
    closeSync(fd)
    assert.equal(readFileSync(path, 'utf8'), 'complete\n')
  })

  test('AsyncJsonFile: a failed write rejects, leaves no temp file, and retry() writes it once possible', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jf-'))
    const path = join(dir, 'state.json')
    const file = new AsyncJsonFile(join(dir, 'missing-dir', 'state.json'))
    await assert.rejects(file.schedule({ a: 1 }))
    assert.notEqual(file.lastError, null)
    const ok = new AsyncJsonFile(path)
    await ok.schedule({ a: 1 })
    assert.equal(ok.lastError, null)
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { a: 1 })
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [])
  })
})

describe('replay report at start (a real broker)', () => {
  test('torn and unreadable journal records are counted with reasons in /api/status and the log; the good ones come back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jf-broker-'))
    const path = join(dir, 'deliveries.jsonl')
    const t = new DeliveryTracker()
    const good = t.create({ ...fields('gone-agent'), deadline_ms: Date.now() + 600_000 })
    const j = new DeliveryJournal(path)
    j.created([good])
    j.close()
    appendFileSync(path, 'not a record\n{"t":"c","r":{"delivery_id":"del_torn","ev')
    const broker = await new TestBroker({ stateDir: dir }).ready()
    try {
      const status = (await broker.api('GET', '/api/status')).body
      const replay = status.storage.journal_replay
      assert.equal(replay.torn, 1)
      assert.equal(replay.unreadable, 1)
      assert.match(replay.reasons.join('; '), /torn last record/)
      assert.match(replay.reasons.join('; '), /line 2: not JSON/)
      assert.equal(status.storage.delivery_journal.ok, true)
      assert.match(broker.stderr, /delivery journal replay: 1 torn, 1 unreadable/)
      // The good record came back (its agent is gone, so it ends as a dead letter, not lost).
      assert.equal((await broker.api('GET', `/api/deliveries/${good.delivery_id}`)).status, 200)
    } finally {
      await broker.stop()
    }
  })
})
