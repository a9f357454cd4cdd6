/**
 * Message search over the on-disk history (src/history): the real log files, the real piscina
 * pool running workers/search-segment.js. Query semantics (terms, phrases, case, filters, limit,
 * newest-first order across segments), the agent scope, rotation and pruning, a torn last line.
 */
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HistoryLog } from '../../src/history/log.js'
import { OffloadPool } from '../../src/offload/pool.js'
import { buildQuery, parseTerms, type HistoryRecord, type SearchScope } from '../../src/history/query.js'
import { runsOf, searchHistory } from '../../src/history/search.js'

const pool = new OffloadPool()
after(() => pool.close())

let seq = 0
function rec(from: string, to: string, body: string, recipients: string[]): HistoryRecord {
  seq++
  return { seq, event_id: `ev_${seq}`, from, to, body, thread_id: null, at: 1_700_000_000_000 + seq, recipients }
}

function newLog(opts: { segmentBytes?: number; maxBytes?: number } = {}): HistoryLog {
  return new HistoryLog(join(mkdtempSync(join(tmpdir(), 'hist-')), 'history'), opts)
}

async function bodies(log: HistoryLog, q: Parameters<typeof buildQuery>[0], limit = 50, scope: SearchScope | null = null): Promise<string[]> {
  const res = await searchHistory(log, pool, buildQuery(q), scope, limit)
  return res.hits.map((h) => h.body)
}

describe('query parsing', () => {
  test('terms split on whitespace, quoted phrases stay whole, lower-cased, de-duplicated', () => {
    assert.deepEqual(parseTerms('  Deploy  the "Build Server"  deploy '), ['deploy', 'the', 'build server'])
    assert.deepEqual(parseTerms(''), [])
    assert.deepEqual(buildQuery({ q: 'x', from: '@Alice', to: ' @Bob ', channel: '#Ops' }), { terms: ['x'], from: 'alice', to: 'bob', channel: 'ops' })
    assert.deepEqual(buildQuery({ q: 'x', from: '  ', channel: '#' }), { terms: ['x'], from: null, to: null, channel: null })
  })
})

describe('search semantics', () => {
  const log = newLog()
  log.append(rec('alice', 'bob', 'The build is GREEN on main', ['bob']))
  log.append(rec('bob', 'alice', 'thanks, deploying the build now', ['alice']))
  log.append(rec('carol', '#ops', 'ops: build server rebooted', ['alice', 'bob']))
  log.append(rec('alice', '#eng', 'green build, ship it', ['carol']))
  log.append(rec('dave', 'erin', 'private: the build password is hunter2', ['erin']))
  log.append(rec('alice', '@Bob', 'say "hi" to C:\\temp and the build', ['bob']))

  test('every term must occur in the body, in any case; newest first', async () => {
    assert.deepEqual(await bodies(log, { q: 'BUILD green' }), ['green build, ship it', 'The build is GREEN on main'])
    assert.deepEqual(await bodies(log, { q: 'rebooted' }), ['ops: build server rebooted'])
    assert.deepEqual(await bodies(log, { q: 'nothing-like-this' }), [])
  })

  test('a quoted phrase must occur as written (case aside); terms match the body, not the names', async () => {
    assert.deepEqual(await bodies(log, { q: '"build server"' }), ['ops: build server rebooted'])
    assert.deepEqual(await bodies(log, { q: '"server build"' }), [])
    assert.deepEqual(await bodies(log, { q: 'alice' }), [])
    assert.deepEqual(await bodies(log, { q: 'ev_1' }), [])
  })

  test('terms with characters JSON escapes still match (the per-line path)', async () => {
    assert.deepEqual(await bodies(log, { q: '"hi' }), ['say "hi" to C:\\temp and the build'], 'an unbalanced quote is a literal')
    assert.deepEqual(await bodies(log, { q: 'c:\\temp' }), ['say "hi" to C:\\temp and the build'])
  })

  test('from, to and channel filter by name, case-insensitively; to is a direct message, channel a post', async () => {
    assert.deepEqual(await bodies(log, { q: 'build', from: 'ALICE' }), ['say "hi" to C:\\temp and the build', 'green build, ship it', 'The build is GREEN on main'])
    assert.deepEqual(await bodies(log, { q: 'build', to: 'bob' }), ['say "hi" to C:\\temp and the build', 'The build is GREEN on main'])
    assert.deepEqual(await bodies(log, { q: 'build', channel: 'OPS' }), ['ops: build server rebooted'])
    assert.deepEqual(await bodies(log, { q: 'build', channel: '#eng', from: 'alice' }), ['green build, ship it'])
    assert.deepEqual(await bodies(log, { q: 'build', channel: 'ops', from: 'alice' }), [])
    assert.deepEqual(await bodies(log, { from: 'dave' }), ['private: the build password is hunter2'], 'no q: filters alone')
  })

  test('limit keeps the newest matches and says the result is truncated', async () => {
    const res = await searchHistory(log, pool, buildQuery({ q: 'build' }), null, 2)
    assert.deepEqual(res.hits.map((h) => h.seq), [seq, seq - 1])
    assert.equal(res.truncated, true)
    const all = await searchHistory(log, pool, buildQuery({ q: 'build' }), null, 50)
    assert.equal(all.hits.length, 6)
    assert.equal(all.truncated, false)
  })

  test('an agent sees what it sent, what it received, and posts to channels it is in — nothing else', async () => {
    const bob: SearchScope = { agent: 'bob', channels: [] }
    assert.deepEqual(await bodies(log, { q: 'build' }, 50, bob), [
      'say "hi" to C:\\temp and the build',
      'ops: build server rebooted',
      'thanks, deploying the build now',
      'The build is GREEN on main'
    ])
    // carol received the #eng post, and is in #ops now (though not a recipient of her own post)
    assert.deepEqual(await bodies(log, { q: 'build' }, 50, { agent: 'carol', channels: ['ops'] }), ['green build, ship it', 'ops: build server rebooted'])
    // a member of #eng who joined later can search it; erin cannot see dave's DM to... erin can, frank cannot
    assert.deepEqual(await bodies(log, { q: 'build' }, 50, { agent: 'frank', channels: ['eng'] }), ['green build, ship it'])
    assert.deepEqual(await bodies(log, { q: 'password' }, 50, { agent: 'erin', channels: [] }), ['private: the build password is hunter2'])
    assert.deepEqual(await bodies(log, { q: 'password' }, 50, { agent: 'alice', channels: ['ops', 'eng'] }), [])
    assert.deepEqual(await bodies(log, { from: 'dave' }, 50, { agent: 'Erin', channels: [] }), [], 'scope names compare exactly')
  })
})

describe('the on-disk log', () => {
  test('rotates into segments, searches newest first across them, prunes the oldest past the bound', async () => {
    const log = newLog({ segmentBytes: 2_000, maxBytes: 8_000 })
    const first = seq + 1
    for (let i = 0; i < 200; i++) {
      log.append(rec('alice', 'bob', `message number ${i} ${i % 10 === 0 ? 'tenth' : 'plain'}`, ['bob']))
      if (i % 5 === 4) await log.flushed() // several writes, as traffic would make
    }
    await log.flushed()
    const segs = log.segments()
    assert.ok(segs.length >= 4, `${segs.length} segments`)
    assert.ok(segs.reduce((n, s) => n + s.bytes, 0) <= 8_000 + 2_000)
    assert.equal(readdirSync(log.dir).length, segs.length, 'pruned segments are deleted')
    const res = await searchHistory(log, pool, buildQuery({ q: 'tenth' }), null, 500)
    const seqs = res.hits.map((h) => h.seq)
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first')
    assert.equal(seqs[0], first + 190)
    assert.ok(!seqs.includes(first), 'the oldest segment was pruned')
    assert.equal(res.segments_scanned, segs.length)
    const two = await searchHistory(log, pool, buildQuery({ q: 'message' }), null, 3)
    assert.deepEqual(two.hits.map((h) => h.seq), [first + 199, first + 198, first + 197])
    assert.equal(two.segments_scanned, 1, 'the newest segment was enough')
    await log.close()
  })

  test('reopened: seq continues from disk, a torn last line is skipped and not appended to', async () => {
    const log = newLog()
    log.append(rec('alice', 'bob', 'before the crash', ['bob']))
    const last = seq
    await log.close()
    const segs = log.segments()
    appendFileSync(segs[segs.length - 1]!.path, '{"seq":999999,"event_id":"torn","from":"alice","to":"bob","body":"half a li')
    const again = new HistoryLog(log.dir)
    assert.equal(again.lastSeq, last)
    again.append(rec('alice', 'bob', 'after the crash', ['bob']))
    await again.flushed()
    assert.equal(again.segments().length, segs.length + 1, 'a new segment after the torn line')
    assert.deepEqual(await bodies(again, { q: 'crash' }), ['after the crash', 'before the crash'])
    assert.deepEqual(await bodies(again, { q: 'half' }), [])
    await again.close()
  })

  test('text whose lower case changes length (İ) or becomes ASCII (K) is searched line by line and still found', async () => {
    const log = newLog()
    log.append(rec('alice', 'bob', 'İstanbul office opens', ['bob']))
    log.append(rec('alice', 'bob', 'the office in Ankara', ['bob']))
    assert.deepEqual(await bodies(log, { q: 'office' }), ['the office in Ankara', 'İstanbul office opens'])
    assert.deepEqual(await bodies(log, { q: 'İstanbul' }), ['İstanbul office opens'])
    // U+212A KELVIN SIGN lower-cases to an ASCII k: a byte-level search would miss it
    log.append(rec('alice', 'bob', 'cooled to 4 \u212Aelvin overnight', ['bob']))
    assert.deepEqual(await bodies(log, { q: 'KELVIN' }), ['cooled to 4 \u212Aelvin overnight'])
    assert.deepEqual(await bodies(log, { q: 'Ankara' }), ['the office in Ankara'])
    await log.close()
  })
})

describe('runs of segments', () => {
  test('cut in order, as even as they go, never an empty run', () => {
    assert.deepEqual(runsOf([1, 2, 3, 4, 5], 2), [[1, 2, 3], [4, 5]])
    assert.deepEqual(runsOf([1, 2, 3, 4, 5, 6], 3), [[1, 2], [3, 4], [5, 6]])
    assert.deepEqual(runsOf([1, 2], 4), [[1], [2]])
    assert.deepEqual(runsOf([1, 2, 3], 1), [[1, 2, 3]])
    assert.deepEqual(runsOf([], 2), [])
  })
})
