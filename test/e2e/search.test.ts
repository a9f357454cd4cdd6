/**
 * Message search through a real broker: `GET /api/messages/search` (API key, everything) and
 * `GET /api/agent/messages/search` (agent token, only what that agent could have seen), over
 * the history the broker writes to its state dir — still there after a restart.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { TestBroker, type EventLog } from './harness.js'

const TOKENS = { alice: `at_${'a1'.repeat(16)}`, bob: `at_${'b2'.repeat(16)}`, carol: `at_${'c3'.repeat(16)}` }
type Name = keyof typeof TOKENS

describe('message search', { concurrency: 1 }, () => {
  let broker: TestBroker
  let events: EventLog

  const asAgent = (name: Name, path: string, body?: unknown) =>
    broker.api(body === undefined ? 'GET' : 'POST', path, body, { 'x-api-key': '', 'x-agent-token': TOKENS[name] })
  const search = async (qs: string) => {
    const res = await broker.api('GET', `/api/messages/search?${qs}`)
    assert.equal(res.status, 200, res.text)
    return res.body
  }
  const agentSearch = async (name: Name, qs: string) => {
    const res = await asAgent(name, `/api/agent/messages/search?${qs}`)
    assert.equal(res.status, 200, res.text)
    return (res.body.messages as { body: string }[]).map((m) => m.body)
  }
  const say = async (from: Name, to: string, text: string) => {
    const res = await asAgent(from, '/api/agent/send', { to, text })
    assert.equal(res.status, 200, res.text)
  }

  before(async () => {
    broker = await new TestBroker().ready()
    events = broker.events()
    await events.opened
    await broker.spawnAgent('alice', 'cat', { agent_token: TOKENS.alice, channels: ['ops'] })
    await broker.spawnAgent('bob', 'cat', { agent_token: TOKENS.bob, channels: ['ops'] })
    await broker.spawnAgent('carol', 'cat', { agent_token: TOKENS.carol, channels: ['eng'] })
    await say('alice', 'bob', 'Deploy window opens at noon')
    await say('bob', 'alice', 'ok, deploy after lunch then')
    await say('alice', '#ops', 'ops heads-up: deploy at noon')
    await say('carol', 'bob', 'secret: carol thinks the deploy is risky')
    await say('bob', '#eng', 'eng: who owns the deploy script?')
  })

  after(async () => {
    events?.close()
    await broker?.stop()
  })

  test('the API key searches everything: terms, case, newest first, filters, limit', async () => {
    const all = await search('q=DEPLOY')
    assert.deepEqual(all.messages.map((m: { body: string }) => m.body), [
      'eng: who owns the deploy script?',
      'secret: carol thinks the deploy is risky',
      'ops heads-up: deploy at noon',
      'ok, deploy after lunch then',
      'Deploy window opens at noon'
    ])
    const first = all.messages[4]
    assert.equal(first.from, 'alice')
    assert.equal(first.to, 'bob')
    assert.deepEqual(first.recipients, ['bob'])
    assert.match(first.event_id, /\S/)
    assert.ok(!Number.isNaN(Date.parse(first.at)))
    assert.deepEqual(all.query.terms, ['deploy'])
    assert.equal(all.truncated, false)
    assert.deepEqual((await search('q=deploy%20noon')).messages.map((m: { body: string }) => m.body), ['ops heads-up: deploy at noon', 'Deploy window opens at noon'])
    assert.deepEqual((await search('q=deploy&from=bob')).messages.map((m: { body: string }) => m.body), ['eng: who owns the deploy script?', 'ok, deploy after lunch then'])
    assert.deepEqual((await search('q=deploy&to=bob')).messages.map((m: { body: string }) => m.body), ['secret: carol thinks the deploy is risky', 'Deploy window opens at noon'])
    assert.deepEqual((await search('q=deploy&channel=%23ops')).messages.map((m: { body: string }) => m.body), ['ops heads-up: deploy at noon'])
    const two = await search('q=deploy&limit=2')
    assert.equal(two.count, 2)
    assert.equal(two.truncated, true)
    assert.equal(two.messages[0].body, 'eng: who owns the deploy script?')
  })

  test('an agent searches only what it could have seen', async () => {
    // alice: her DMs both ways and #ops (she is in it); not carol's DM to bob, not #eng
    assert.deepEqual(await agentSearch('alice', 'q=deploy'), ['ops heads-up: deploy at noon', 'ok, deploy after lunch then', 'Deploy window opens at noon'])
    // carol: her own DM to bob, and #eng (she is in it); nothing between alice and bob
    assert.deepEqual(await agentSearch('carol', 'q=deploy'), ['eng: who owns the deploy script?', 'secret: carol thinks the deploy is risky'])
    // bob sees everything addressed to him or sent by him, and #ops
    assert.equal((await agentSearch('bob', 'q=deploy')).length, 5)
    // filters narrow the scope, never widen it
    assert.deepEqual(await agentSearch('alice', 'q=deploy&from=carol'), [])
    assert.deepEqual(await agentSearch('alice', 'channel=eng'), [])
  })

  test('bad parameters are 400 {code, message}; no token is 401; the admin route needs the API key', async () => {
    for (const qs of ['limit=0', 'limit=abc', 'limit=-1']) {
      const res = await broker.api('GET', `/api/messages/search?${qs}`)
      assert.equal(res.status, 400, qs)
      assert.equal(res.body.code, 'invalid_request')
      assert.match(res.body.message, /limit/)
    }
    const tooMany = await broker.api('GET', `/api/messages/search?q=${Array.from({ length: 40 }, (_, i) => `t${i}`).join('+')}`)
    assert.equal(tooMany.status, 400)
    assert.equal((await broker.api('GET', '/api/agent/messages/search?q=x', undefined, { 'x-api-key': '' })).status, 401)
    assert.equal((await broker.api('GET', '/api/messages/search?q=x', undefined, { 'x-api-key': '', 'x-agent-token': TOKENS.alice })).status, 401)
  })

  test('the history is on disk in the state dir and is searched again after a restart', async () => {
    const dir = join(broker.stateDir, 'history')
    assert.ok(existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.jsonl')))
    const before = await search('q=deploy&limit=1')
    const lastSeq = before.messages[0].seq as number
    events.close()
    await broker.stop()
    broker = await new TestBroker({ stateDir: broker.stateDir }).ready()
    events = broker.events()
    await events.opened
    await events.waitKind('worker_ready', 'alice', 15_000)
    const again = await search('q=deploy')
    assert.equal(again.count, 5, 'all five from the previous run')
    await say('alice', 'bob', 'deploy done, after the restart')
    const after = await search('q=deploy&limit=1')
    assert.equal(after.messages[0].body, 'deploy done, after the restart')
    assert.ok(after.messages[0].seq > lastSeq, 'seq continues across the restart')
    assert.deepEqual((await agentSearch('carol', 'q=deploy')).length, 2, 'the scope holds after a restart too')
  })
})
