/** Thread ids, names, unread counts and previews of `GET /api/threads`. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildThreads, preview, threadIdOf, threadNameOf } from '../../../src/api/routes/threads.js'
import type { HistoryEntry } from '../../../src/supervisor/delivery/history.js'

const entry = (over: Partial<HistoryEntry>): HistoryEntry => ({
  seq: 1,
  event_id: 'e',
  from: 'alice',
  target: 'bob',
  body: 'hi',
  thread_id: null,
  at: 1_000,
  recipients: [],
  ...over
})

test('thread ids: explicit, channel, conversation ids, sorted direct pair', () => {
  assert.equal(threadIdOf(entry({ thread_id: ' th-1 ' })), 'th-1')
  assert.equal(threadIdOf(entry({ target: '#general' })), '#general')
  assert.equal(threadIdOf(entry({ target: 'conv_42' })), 'conv_42')
  assert.equal(threadIdOf(entry({ target: '12345' })), '12345')
  assert.equal(threadIdOf(entry({ from: 'Zed', target: '@Alice' })), 'direct:alice:zed')
  assert.equal(threadIdOf(entry({ from: 'alice', target: 'bob' })), threadIdOf(entry({ from: 'bob', target: 'alice' })))
})

test('thread names: channel, non-self sender, else the target, else the id', () => {
  assert.equal(threadNameOf(entry({ target: '#ops' }), '#ops', 'broker'), '#ops')
  assert.equal(threadNameOf(entry({ from: '@zed' }), 'direct:bob:zed', 'broker'), 'zed')
  assert.equal(threadNameOf(entry({ from: 'Broker', target: 'w-bash', thread_id: 'th' }), 'th', 'broker'), 'w-bash')
  assert.equal(threadNameOf(entry({ from: 'broker', target: 'conv_1' }), 'conv_1', 'broker'), 'conv_1')
})

test('threads: unread counts non-self messages, newest message wins, sorted by recency then id', () => {
  const threads = buildThreads(
    [
      entry({ from: 'zed', target: 'ann', body: 'one', at: 10 }),
      entry({ from: 'zed', target: 'ann', body: 'two', at: 20 }),
      entry({ from: 'broker', target: '#general', body: 'mine', at: 20 }),
      entry({ from: 'broker', target: 'ann', thread_id: 't', body: 'self', at: 5 })
    ],
    'broker'
  )
  assert.deepEqual(
    threads.map((t) => [t.threadId, t.name, t.unreadCount, t.lastMessage]),
    [
      ['#general', '#general', 0, 'mine'],
      ['direct:ann:zed', 'zed', 2, 'two'],
      ['t', 'ann', 0, 'self']
    ]
  )
  assert.match(threads[0]!.lastMessageAt!, /^1970-01-01T00:00:00\.020\+00:00$/)
})

test('previews are cut to 200 bytes on a character boundary', () => {
  assert.equal(preview('  short  '), 'short')
  const long = 'é'.repeat(150)
  const p = preview(long)
  assert.ok(p.endsWith('...'))
  assert.equal(Buffer.byteLength(p.slice(0, -3)), 200)
  assert.equal(preview('x'.repeat(200)), 'x'.repeat(200))
})
