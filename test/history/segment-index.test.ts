/**
 * The per-segment search index (src/history/segment-index.ts) and its use by the search worker
 * (workers/search-segment.ts): a sealed segment is indexed on its first full read, later searches
 * read only the blocks holding every trigram of the terms, and the results are the same as a
 * full scan's — for rare and common terms, short terms, phrases, filters and a stale index.
 */
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HistoryLog } from '../../src/history/log.js'
import { OffloadPool } from '../../src/offload/pool.js'
import { buildQuery, matches, type HistoryRecord } from '../../src/history/query.js'
import { searchHistory } from '../../src/history/search.js'
import { buildSegmentIndex, candidateBlocks, indexPathOf, readSegmentIndex } from '../../src/history/segment-index.js'
import searchSegment from '../../workers/search-segment.js'
import { HISTORY_INDEX_BACKFILL_DELAY_MS, SegmentIndexer } from '../../src/history/indexer.js'

const pool = new OffloadPool()
after(() => pool.close())

const WORDS = ['deploy', 'build', 'tests', 'green', 'review', 'merge', 'ship', 'ka', 'lo', 'mi']

function records(n: number): HistoryRecord[] {
  const out: HistoryRecord[] = []
  for (let i = 1; i <= n; i++) {
    const words = Array.from({ length: 12 }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]!)
    if (i % 1500 === 0) words.splice(2, 0, 'QuokkaFlux')
    if (i % 2000 === 0) words.push('say "hi"')
    const from = `agent-${i % 7}`
    const to = i % 3 === 0 ? '#ops' : `agent-${i % 5}`
    out.push({ seq: i, event_id: `ev_${i}`, from, to, body: words.join(' '), thread_id: null, at: 1_700_000_000_000 + i, recipients: [to] })
  }
  return out
}

describe('per-segment search index', () => {
  test('candidate blocks: every trigram of every term; short terms narrow nothing; an unknown trigram rules a block out', () => {
    const lines = ['alpha beta', 'gamma delta', 'alpha omega'].map((body, i) => JSON.stringify({ seq: i, body }))
    const idx = buildSegmentIndex(Buffer.from(lines.join('\n') + '\n'), 1)
    assert.equal(idx.ends.length, 3, 'one line per block at this block size')
    const any = () => true
    assert.deepEqual(candidateBlocks(idx, ['alpha'], any), [0, 2])
    assert.deepEqual(candidateBlocks(idx, ['alpha', 'mega'], any), [2])
    assert.deepEqual(candidateBlocks(idx, ['zzz'], any), [])
    assert.deepEqual(candidateBlocks(idx, ['al'], any), [0, 1, 2], 'two characters: no trigram')
    assert.deepEqual(candidateBlocks(idx, [], any), [0, 1, 2])
    assert.deepEqual(candidateBlocks(idx, ['zzz'], (t) => t !== 'zzz'), [0, 1, 2], 'a term that may not narrow does not')
  })

  test('sealed segments are indexed on first read; results equal a full scan; later searches read only candidate blocks', async () => {
    const log = new HistoryLog(join(mkdtempSync(join(tmpdir(), 'hidx-')), 'history'), { segmentBytes: 300_000 })
    const all = records(6_000)
    for (const r of all) {
      log.append(r)
      if (r.seq % 200 === 0) await log.flushed() // several writes, as traffic would make
    }
    await log.flushed()
    const segs = log.segments()
    assert.ok(segs.length >= 3, `${segs.length} segments`)
    const expect = (q: Parameters<typeof buildQuery>[0], limit: number) => {
      const query = buildQuery(q)
      return all.filter((r) => matches(r, query, null)).map((r) => r.seq).reverse().slice(0, limit)
    }
    const queries: [Parameters<typeof buildQuery>[0], number][] = [
      [{ q: 'quokkaflux' }, 500],
      [{ q: 'QUOKKA flux' }, 500],
      [{ q: '"ship ka"' }, 40],
      [{ q: 'lo' }, 30],
      [{ q: '"hi"' }, 500],
      [{ q: 'deploy', from: 'agent-3' }, 25],
      [{ channel: 'ops' }, 10],
      [{ q: 'nowhere-to-be-found' }, 10]
    ]
    for (const round of ['first (builds the indexes)', 'second (through them)']) {
      for (const [q, limit] of queries) {
        const res = await searchHistory(log, pool, buildQuery(q), null, limit)
        assert.deepEqual(res.hits.map((h) => h.seq), expect(q, limit), `${round}: ${JSON.stringify(q)}`)
      }
    }
    const sealed = segs.slice(0, -1)
    for (const s of sealed) assert.ok(existsSync(indexPathOf(s.path)), `${s.path} indexed`)
    assert.ok(!existsSync(indexPathOf(segs[segs.length - 1]!.path)), 'the segment being appended to is not indexed')
    const seg = sealed.find((s) => readFileSync(s.path, 'utf8').includes('QuokkaFlux'))!
    const size = statSync(seg.path).size
    assert.ok(readSegmentIndex(seg.path, size)!.ends.length > 2, 'several blocks per segment')
    const rare = searchSegment({ segments: [{ path: seg.path, sealed: true }], query: buildQuery({ q: 'quokkaflux' }), scope: null, limit: 50 })
    assert.ok(rare.bytes < size / 2, `rare term: ${rare.bytes} of ${size} bytes read`)
    assert.ok(rare.hits.length > 0)

    // A stale or broken index is not trusted: rebuilt, same results.
    writeFileSync(indexPathOf(seg.path), '{"v":1,"bytes":12,"ends":[12],"grams":{}}')
    const other = sealed.find((s) => s !== seg)!
    writeFileSync(indexPathOf(other.path), 'not json')
    const fresh = new OffloadPool() // threads without the cached indexes
    try {
      for (const [q, limit] of queries) {
        const res = await searchHistory(log, fresh, buildQuery(q), null, limit)
        assert.deepEqual(res.hits.map((h) => h.seq), expect(q, limit), `stale index: ${JSON.stringify(q)}`)
      }
    } finally {
      await fresh.close()
    }
    assert.ok(readSegmentIndex(seg.path, size) !== null && readSegmentIndex(other.path, statSync(other.path).size) !== null, 'rebuilt')
    await log.close()
  })

  test('the indexer indexes a segment when the log seals it, and sealed segments without an index a little after start', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hidx-')), 'history')
    const first = new HistoryLog(dir, { segmentBytes: 20_000 })
    const all = records(600)
    for (const r of all.slice(0, 300)) {
      first.append(r)
      if (r.seq % 50 === 0) await first.flushed()
    }
    await first.close()
    const before = first.segments().slice(0, -1)
    assert.ok(before.length >= 2)
    assert.ok(before.every((s) => !existsSync(indexPathOf(s.path))), 'no indexer: no index')

    const log = new HistoryLog(dir, { segmentBytes: 20_000 })
    new SegmentIndexer(log, pool)
    for (const r of all.slice(300)) {
      log.append(r)
      if (r.seq % 50 === 0) await log.flushed()
    }
    await log.flushed()
    const sealed = log.segments().slice(0, -1)
    const deadline = Date.now() + HISTORY_INDEX_BACKFILL_DELAY_MS + 10_000
    while (Date.now() < deadline && !sealed.every((s) => existsSync(indexPathOf(s.path)))) await new Promise((r) => setTimeout(r, 50))
    for (const s of sealed) assert.ok(readSegmentIndex(s.path, statSync(s.path).size), `${s.path} indexed`)
    assert.ok(!existsSync(indexPathOf(log.segments().at(-1)!.path)), 'the open segment is not')
    await log.close()
  })
})
