/** The agent API (docs/api-agents.md): agent tokens, send as oneself, inbox, agents, delivery status. */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, TestBroker, readJsonLines, waitUntil, type EventLog } from '../e2e/harness.js'

/** An "agent CLI" that reads its identity from the environment, sends one message through the agent API, then idles. */
const SENDER_SCRIPT = `
const { writeFileSync } = require('node:fs')
const env = process.env
writeFileSync(env.SENDER_OUT, JSON.stringify({ token: env.RELAY_AGENT_TOKEN, url: env.RELAY_BROKER_URL, name: env.RELAY_AGENT_NAME, apiKey: env.RELAY_BROKER_API_KEY ?? null }))
fetch(env.RELAY_BROKER_URL + '/api/agent/send', {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-agent-token': env.RELAY_AGENT_TOKEN },
  body: JSON.stringify({ to: 'bob', text: 'hi bob from my env', from: 'mallory' })
}).then(async (r) => writeFileSync(env.SENDER_OUT + '.reply', JSON.stringify({ status: r.status, body: await r.json() })))
setInterval(() => {}, 1000)
`

function stateRecord(broker: TestBroker, name: string): any {
  return JSON.parse(readFileSync(join(broker.stateDir, 'state.json'), 'utf8')).agents[name]
}

describe('agent API', () => {
  let broker: TestBroker
  let events: EventLog
  let dir: string
  let fixtureLog: string
  const agentCall = (path: string, token: string, init: { method?: string; body?: unknown; header?: 'x' | 'bearer' } = {}) =>
    broker.api(init.method ?? 'GET', path, init.body, {
      'x-api-key': '',
      ...(init.header === 'bearer' ? { authorization: `Bearer ${token}` } : { 'x-agent-token': token })
    })

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-agent-api-'))
    fixtureLog = join(dir, 'fixture.jsonl')
    broker = await new TestBroker({ env: { FIXTURE_LOG: fixtureLog, SENDER_OUT: join(dir, 'sender.json') } }).ready()
    events = broker.events()
    await events.opened
    await broker.spawnAgent('bob', ECHO_CLI, { channels: ['general', 'ops'] })
    await broker.spawnAgent('carol', ECHO_CLI)
    await events.waitKind('worker_ready', 'bob')
    await events.waitKind('worker_ready', 'carol')
  })

  after(async () => {
    events?.close()
    await broker?.stop()
  })

  test('an agent sends with the token from its own environment; from cannot be spoofed', async () => {
    await broker.spawnAgent('sender', 'node', { args: ['-e', SENDER_SCRIPT] })
    const out = join(dir, 'sender.json')
    await waitUntil(() => readJsonLines(out + '.reply').length > 0, 15_000, 'the sender agent to get its reply')
    const seen = JSON.parse(readFileSync(out, 'utf8'))
    assert.match(seen.token, /^at_[0-9a-f]{32}$/)
    assert.equal(seen.url, broker.url)
    assert.equal(seen.name, 'sender')
    assert.equal(seen.apiKey, null, 'the admin key is not in an agent environment')
    assert.equal(stateRecord(broker, 'sender').agent_token, seen.token, 'the state record keeps the token')

    const reply = JSON.parse(readFileSync(out + '.reply', 'utf8'))
    assert.equal(reply.status, 200)
    assert.equal(reply.body.success, true)
    assert.deepEqual(reply.body.targets, ['bob'])
    const inbound = await events.waitFor((e) => e.kind === 'relay_inbound' && e.event_id === reply.body.event_id)
    assert.equal(inbound.from, 'sender')
    assert.equal(inbound.target, 'bob')
    const deliveryId = reply.body.deliveries[0].delivery_id
    await events.waitFor((e) => e.kind === 'delivery_verified' && e.delivery_id === deliveryId)
    const lines = readJsonLines(fixtureLog).filter((l) => l.agent === 'bob')
    assert.ok(lines.some((l) => l.line === `Relay message from sender [local / ${reply.body.event_id}]: hi bob from my env`))

    const status = await agentCall(`/api/agent/deliveries/${deliveryId}`, seen.token)
    assert.equal(status.status, 200)
    assert.equal(status.body.stage, 'verified')
    assert.equal(status.body.recipient, 'bob')
    assert.deepEqual(
      status.body.history.map((h: any) => h.stage),
      ['accepted', 'queued', 'injected', 'verified']
    )
    const bobToken = stateRecord(broker, 'bob').agent_token
    assert.equal((await agentCall(`/api/agent/deliveries/${deliveryId}`, bobToken)).status, 404, 'only the sender may follow it')
    assert.equal((await agentCall('/api/agent/deliveries/del_nope', seen.token)).status, 404)
  })

  test('send to a channel and by Bearer; inbox with a since cursor, newest last', async () => {
    const carol = stateRecord(broker, 'carol').agent_token
    const bob = stateRecord(broker, 'bob').agent_token
    assert.notEqual(carol, bob)
    const first = await agentCall('/api/agent/send', carol, { method: 'POST', body: { to: '#ops', text: 'ops news', thread_id: 'th-7' }, header: 'bearer' })
    assert.equal(first.status, 200)
    assert.deepEqual(first.body.targets, ['bob'])
    const second = await agentCall('/api/agent/send', carol, { method: 'POST', body: { to: 'bob', message: 'second one' } })
    assert.equal(second.status, 200)
    await events.waitFor((e) => e.kind === 'delivery_verified' && e.delivery_id === second.body.deliveries[0].delivery_id)

    const box = await agentCall('/api/agent/inbox', bob)
    assert.equal(box.status, 200)
    assert.equal(box.body.agent, 'bob')
    const bodies = box.body.messages.map((m: any) => m.body)
    assert.deepEqual(bodies.slice(-2), ['ops news', 'second one'])
    const ops = box.body.messages.at(-2)
    assert.equal(ops.from, 'carol')
    assert.equal(ops.to, '#ops')
    assert.equal(ops.thread_id, 'th-7')
    assert.equal(ops.delivery_id, first.body.deliveries[0].delivery_id)
    assert.equal(box.body.messages.at(-1).stage, 'verified')
    const later = await agentCall(`/api/agent/inbox?since=${ops.seq}`, bob)
    assert.deepEqual(later.body.messages.map((m: any) => m.body), ['second one'])
    assert.equal(later.body.cursor, box.body.messages.at(-1).seq)
    const none = await agentCall(`/api/agent/inbox?since=${later.body.cursor}`, bob)
    assert.deepEqual(none.body.messages, [])
    assert.equal(none.body.cursor, later.body.cursor)
    assert.equal((await agentCall('/api/agent/inbox?since=x', bob)).status, 400)
    const carolBox = await agentCall('/api/agent/inbox', carol)
    assert.ok(!carolBox.body.messages.some((m: any) => m.body === 'second one'), "a sender's own message is not in its inbox")
  })

  test('agents list: names and channels, self marked', async () => {
    const bob = stateRecord(broker, 'bob').agent_token
    const res = await agentCall('/api/agent/agents', bob)
    assert.equal(res.status, 200)
    assert.equal(res.body.self, 'bob')
    const me = res.body.agents.find((a: any) => a.name === 'bob')
    assert.deepEqual(me, { name: 'bob', channels: ['general', 'ops'], self: true })
    assert.ok(res.body.agents.some((a: any) => a.name === 'carol' && a.self === false))
  })

  test('errors: sending to nobody is 404, bad body 400', async () => {
    const bob = stateRecord(broker, 'bob').agent_token
    const nobody = await agentCall('/api/agent/send', bob, { method: 'POST', body: { to: 'ghost', text: 'x' } })
    assert.equal(nobody.status, 404)
    assert.equal(nobody.body.success, false)
    const self = await agentCall('/api/agent/send', bob, { method: 'POST', body: { to: 'bob', text: 'me?' } })
    assert.equal(self.status, 404, 'an agent is never its own recipient')
    const bad = await agentCall('/api/agent/send', bob, { method: 'POST', body: { to: 'carol' } })
    assert.equal(bad.status, 400)
    const badJson = await agentCall('/api/agent/send', bob, { method: 'POST', body: '{nope' })
    assert.equal(badJson.status, 400)
  })

  test('the admin key opens no agent route, an agent token opens no admin route', async () => {
    const bob = stateRecord(broker, 'bob').agent_token
    const noToken = await fetch(broker.url + '/api/agent/inbox')
    assert.equal(noToken.status, 401)
    assert.equal(((await noToken.json()) as any).error.code, 'unauthorized')
    const adminAsAgent = await fetch(broker.url + '/api/agent/inbox', { headers: { 'x-api-key': broker.apiKey } })
    assert.equal(adminAsAgent.status, 401)
    const adminBearer = await fetch(broker.url + '/api/agent/agents', { headers: { authorization: `Bearer ${broker.apiKey}` } })
    assert.equal(adminBearer.status, 401)
    const adminXAgent = await fetch(broker.url + '/api/agent/agents', { headers: { 'x-agent-token': broker.apiKey } })
    assert.equal(adminXAgent.status, 401)
    const tokenAsAdmin = await fetch(broker.url + '/api/spawned', { headers: { 'x-api-key': bob } })
    assert.equal(tokenAsAdmin.status, 401)
    const tokenBearerAdmin = await fetch(broker.url + '/api/send', {
      method: 'POST',
      headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'carol', text: 'x' })
    })
    assert.equal(tokenBearerAdmin.status, 401)
    assert.equal((await agentCall('/api/agent/inbox', 'at_00000000000000000000000000000000')).status, 401)
    // unknown agent paths are 401 without a token too (auth before routing)
    assert.equal((await fetch(broker.url + '/api/agent/nope')).status, 401)
    assert.equal((await agentCall('/api/agent/nope', bob)).status, 404)
  })

  test('a caller-chosen agentToken is used; the admin key is refused; release revokes the token', async () => {
    const chosen = await broker.api('POST', '/api/spawn', { name: 'dave', cli: ECHO_CLI, agentToken: 'my-own-dave-token' })
    assert.equal(chosen.status, 200)
    assert.equal(stateRecord(broker, 'dave').agent_token, 'my-own-dave-token')
    assert.equal((await agentCall('/api/agent/agents', 'my-own-dave-token')).body.self, 'dave')
    const stolen = await broker.api('POST', '/api/spawn', { name: 'eve', cli: ECHO_CLI, agent_token: broker.apiKey })
    assert.equal(stolen.status, 400)
    assert.equal(stolen.body.code, 'invalid_agent_token')
    const dup = await broker.api('POST', '/api/spawn', { name: 'eve', cli: ECHO_CLI, agent_token: 'my-own-dave-token' })
    assert.equal(dup.status, 400)
    assert.equal((await broker.api('DELETE', '/api/spawned/dave')).status, 200)
    assert.equal((await agentCall('/api/agent/agents', 'my-own-dave-token')).status, 401)
  })
})
