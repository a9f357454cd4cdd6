/** Pure parts of the API and agent identity: thread ids and names, previews, channel merges, tokens, interrupt keys, warm-up. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { AgentRelayClient } from '@agent-relay/sdk/client'
import { buildThreads, preview, threadIdOf, threadNameOf } from '../../src/api/routes/threads.js'
import { interruptKeyFor } from '../../src/api/ws/interrupt.js'
import { decodeInputFrame } from '../../src/api/ws/input-stream.js'
import { createApiServer, WARMING_UP_BODY } from '../../src/api/server.js'
import { mergeChannels, removeChannels } from '../../src/supervisor/agents/channels.js'
import { AgentTokens } from '../../src/supervisor/agents/tokens.js'
import type { HistoryEntry } from '../../src/supervisor/delivery/history.js'
import type { Broker } from '../../src/supervisor/broker.js'

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

test('channel merge and removal are case-insensitive, `#` kept distinct, order kept', () => {
  assert.deepEqual(mergeChannels(['general', 'engineering'], ['ops', '#ops', 'General', 'Ops']), ['general', 'engineering', 'ops', '#ops'])
  assert.deepEqual(removeChannels(['general', 'engineering', 'ops', '#ops'], ['OPS', 'nope']), ['general', 'engineering', '#ops'])
})

test('agent tokens: random per agent, kept by name, never the admin key, unique, revocable, restorable', () => {
  const tokens = new AgentTokens('br_admin')
  const a = tokens.issue('a')
  assert.match(a, /^at_[0-9a-f]{32}$/)
  assert.equal(tokens.issue('a'), a, 'a restart keeps the token')
  const b = tokens.issue('b')
  assert.notEqual(a, b)
  assert.equal(tokens.agentFor(a), 'a')
  assert.equal(tokens.agentFor(` ${b} `), 'b')
  assert.equal(tokens.agentFor('br_admin'), null)
  assert.throws(() => tokens.issue('c', 'br_admin'), /API key/)
  assert.throws(() => tokens.issue('c', a), /another agent/)
  tokens.revoke('a')
  assert.equal(tokens.agentFor(a), null)
  const restored = new AgentTokens('br_admin')
  assert.equal(restored.restore({ agents: { b: { agent_token: b }, bad: { agent_token: 7 }, evil: { agent_token: 'br_admin' } } }), 1)
  assert.equal(restored.agentFor(b), 'b')
  assert.equal(restored.issue('b'), b)
  assert.equal(restored.restore(undefined), 0)
})

test('interrupt key: Escape for agent TUIs, Ctrl-C otherwise', () => {
  assert.equal(interruptKeyFor('claude').key, 'escape')
  assert.equal(interruptKeyFor('/usr/local/bin/codex --yolo').key, 'escape')
  assert.equal(interruptKeyFor('gemini').bytes, '\x1b')
  assert.equal(interruptKeyFor('bash').key, 'ctrl_c')
  assert.equal(interruptKeyFor('aider').bytes, '\x03')
  assert.equal(interruptKeyFor(null).key, 'ctrl_c')
})

test('input frames: wrapper unwrapped, other JSON literal, invalid UTF-8 refused', () => {
  assert.deepEqual(decodeInputFrame(Buffer.from(' {"type":"pty_input","data":"x"} '), false), { data: 'x' })
  assert.deepEqual(decodeInputFrame(Buffer.from('{"type":"other"}'), false), { data: '{"type":"other"}' })
  assert.deepEqual(decodeInputFrame(Buffer.from('{"type":"pty_input","data":"x"}'), true), { data: '{"type":"pty_input","data":"x"}' }, 'binary frames are raw')
  assert.ok('error' in decodeInputFrame(Buffer.from([0xc3, 0x28]), true))
  assert.ok('error' in decodeInputFrame(Buffer.from('{"type":"pty_input","data":1}'), false))
})

test('warm-up: until the runtime has started, everything but /health is 503 with the body the SDK retries on', async () => {
  const fake = {
    url: '',
    startedAt: Date.now(),
    config: { apiKey: 'br_k', paths: { mode: 'ephemeral' } },
    agents: new Map(),
    deliveries: { openCount: 0 },
    log: { error() {} }
  }
  const api = createApiServer(fake as unknown as Broker)
  await new Promise<void>((r) => api.server.listen(0, '127.0.0.1', () => r()))
  const base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`
  try {
    const early = await fetch(`${base}/api/session`, { headers: { 'x-api-key': 'br_k' } })
    assert.equal(early.status, 503)
    assert.equal(early.headers.get('content-type'), 'text/plain; charset=utf-8')
    assert.equal(await early.text(), WARMING_UP_BODY)
    assert.equal((await fetch(`${base}/api/spawned`)).status, 503, 'no auth is checked while warming up')
    assert.equal((await fetch(`${base}/health`)).status, 200)
    const client = new AgentRelayClient({ baseUrl: base, apiKey: 'br_k' })
    await assert.rejects(client.getSession(), (err: Error) => /503|Service Unavailable/.test(err.message))
    fake.url = base
    const ready = await fetch(`${base}/api/session`, { headers: { 'x-api-key': 'br_k' } })
    assert.equal(ready.status, 200)
  } finally {
    api.close()
  }
})
