/** Two brokers joined over a real nats-server: cross-node DMs, channel posts, the fleet list, remote spawn/release. */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, TestBroker, pidAlive, readJsonLines, waitUntil, type EventLog } from '../e2e/harness.js'
import { NatsServer } from './nats-server.js'

function node(name: string, nats: NatsServer, fixtureLog: string): TestBroker {
  return new TestBroker({ args: ['--name', name, '--node', name, '--nats', nats.url], env: { FIXTURE_LOG: fixtureLog } })
}

async function fleetNames(b: TestBroker): Promise<string[]> {
  const res = await b.api('GET', '/api/agents?scope=fleet')
  assert.equal(res.status, 200)
  return res.body.agents.map((a: { name: string; node: string }) => `${a.name}@${a.node}`).sort()
}

describe('a team of two brokers over NATS JetStream', () => {
  const nats = new NatsServer()
  let a: TestBroker
  let b: TestBroker
  let evA: EventLog
  let evB: EventLog
  let fixtureLog: string

  before(async () => {
    fixtureLog = join(mkdtempSync(join(tmpdir(), 'relay-fleet-')), 'fixture.jsonl')
    await nats.start()
    a = node('a', nats, fixtureLog)
    b = node('b', nats, fixtureLog)
    await Promise.all([a.ready(), b.ready()])
    evA = a.events()
    evB = b.events()
    await Promise.all([evA.opened, evB.opened])
    await a.spawnAgent('alice', ECHO_CLI)
    await b.spawnAgent('bob', ECHO_CLI)
    await evA.waitKind('worker_ready', 'alice')
    await evB.waitKind('worker_ready', 'bob')
  })

  after(async () => {
    evA?.close()
    evB?.close()
    await Promise.all([a?.stop(), b?.stop()])
    await nats.stop()
  })

  test('the fleet list on either node shows both agents with their nodes', async () => {
    for (const broker of [a, b]) {
      let names: string[] = []
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline) {
        names = await fleetNames(broker)
        if (names.length === 2) break
        await new Promise((r) => setTimeout(r, 100))
      }
      assert.deepEqual(names, ['alice@a', 'bob@b'])
    }
    const local = await a.api('GET', '/api/agents')
    assert.deepEqual(local.body.agents.map((x: { name: string }) => x.name), ['alice'])
    const nodes = await a.api('GET', '/api/fleet/nodes')
    assert.deepEqual(nodes.body.nodes.map((n: { node: string; alive: boolean }) => `${n.node}:${n.alive}`), ['a:true', 'b:true'])
  })

  test("a DM from A's API to B's agent is verified, and A's event stream shows delivery_verified", async () => {
    const res = await a.api('POST', '/api/send', { to: 'bob', text: 'hello bob from a', from: 'carol' })
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(res.body.targets, ['bob'])
    const id = res.body.deliveries[0].delivery_id
    const verified = await evA.waitFor((e) => e.kind === 'delivery_verified' && e.delivery_id === id, 20_000, 'delivery_verified on A')
    assert.equal(verified.name, 'bob')
    const stages = evA.all.filter((e) => e.delivery_id === id).map((e) => e.kind)
    for (const k of ['delivery_accepted', 'delivery_queued', 'delivery_injected', 'delivery_verified']) assert.ok(stages.includes(k), `${k} on A: ${stages}`)
    const view = await a.api('GET', `/api/deliveries/${id}`)
    assert.equal(view.body.stage, 'verified')
    // B holds the same delivery id, verified there too.
    const onB = await b.api('GET', `/api/deliveries/${id}`)
    assert.equal(onB.body.stage, 'verified')
    const read = () => readJsonLines(fixtureLog).filter((l) => l.agent === 'bob' && l.line.endsWith(': hello bob from a'))
    await waitUntil(() => read().length > 0, 10_000, "bob's fixture to log the DM").catch(() => undefined)
    assert.equal(read().length, 1)
  })

  test('a channel post from B reaches the agents on A and on B', async () => {
    const res = await b.api('POST', '/api/send', { to: '#general', text: 'team-wide news' })
    assert.equal(res.status, 200, res.text)
    assert.deepEqual([...res.body.targets].sort(), ['alice', 'bob'])
    for (const d of res.body.deliveries) {
      await evB.waitFor((e) => e.kind === 'delivery_verified' && e.delivery_id === d.delivery_id, 20_000, `verified for ${d.name}`)
    }
    for (const name of ['alice', 'bob']) {
      const read = () => readJsonLines(fixtureLog).filter((l) => l.agent === name && l.line.endsWith(': team-wide news'))
      // verified means the line is on the agent's screen; the fixture logs it once it has read it
      await waitUntil(() => read().length > 0, 10_000, `${name}'s fixture to log the post`).catch(() => undefined)
      const lines = read()
      assert.equal(lines.length, 1, `${name} got the post once`)
      assert.match(lines[0].line, /in #general/)
    }
    // A's history has the message its agent received (threads span nodes).
    const threads = await a.api('GET', '/api/threads')
    assert.ok(JSON.stringify(threads.body).includes('team-wide news'))
  })

  test('spawn on a remote node through the local API; release leaves no process there', async () => {
    const res = await a.api('POST', '/api/fleet/nodes/b/spawn', { name: 'remote-carl', cli: ECHO_CLI })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.body.node, 'b')
    const pid = res.body.pid
    assert.ok(pid > 0 && pidAlive(pid))
    const onB = await b.api('GET', '/api/spawned')
    assert.ok(onB.body.agents.some((x: { name: string }) => x.name === 'remote-carl'))
    await evB.waitKind('worker_ready', 'remote-carl')
    const snap = await a.api('GET', '/api/fleet/agents/remote-carl/snapshot')
    assert.equal(snap.status, 200, snap.text)
    assert.match(snap.body.screen, /fixture ready/)
    const cliPid = (await b.api('GET', '/api/spawned')).body.agents.find((x: { name: string }) => x.name === 'remote-carl').cli_pid
    const rel = await a.api('DELETE', '/api/fleet/nodes/b/agents/remote-carl')
    assert.equal(rel.status, 200, rel.text)
    await waitUntil(() => !pidAlive(pid) && (!cliPid || !pidAlive(cliPid)), 10_000, 'remote child and CLI gone')
    const after = await b.api('GET', '/api/spawned')
    assert.ok(!after.body.agents.some((x: { name: string }) => x.name === 'remote-carl'))
    const unknown = await a.api('POST', '/api/fleet/nodes/nowhere/spawn', { name: 'x', cli: ECHO_CLI })
    assert.equal(unknown.status, 404)
    assert.equal(unknown.body.code, 'node_not_found')
  })
})
