/**
 * The published @agent-relay/sdk 6.3.6 `AgentRelayClient`, unchanged, drives our bin/broker:
 * every method of the published client, with the results and the events seen through `onEvent` checked.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AgentRelayClient } from '@agent-relay/sdk/client'
import { AgentRelayProtocolError } from '@agent-relay/sdk'
import { ECHO_CLI, FIXTURES, pidAlive, readJsonLines, waitUntil } from '../e2e/harness.js'
import { Seen, spawnBroker, tempDir } from './harness.js'

/** Screen text without any whitespace, so soft wraps (which drop a space at a row end) do not matter. */
function squash(text: string): string {
  return text.replace(/\s+/g, '')
}

async function rejects(p: Promise<unknown>): Promise<AgentRelayProtocolError> {
  try {
    await p
  } catch (err) {
    assert.ok(err instanceof AgentRelayProtocolError, `expected an AgentRelayProtocolError, got ${err}`)
    return err
  }
  assert.fail('expected the call to fail')
}

describe('AgentRelayClient 6.3.6 against bin/broker', () => {
  let dir: string
  let fixtureLog: string
  let client: AgentRelayClient
  let seen: Seen
  const linesOf = (agent: string) => readJsonLines(fixtureLog).filter((l) => l.agent === agent).map((l) => l.line as string)

  before(async () => {
    dir = tempDir('relay-sdk-')
    fixtureLog = join(dir, 'fixture.jsonl')
    // A fake `claude` on the broker's PATH, so the provider spawners have a real CLI to start.
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'claude'), `#!/bin/sh\nexec node ${join(FIXTURES, 'echo-cli.mjs')}\n`)
    chmodSync(join(bin, 'claude'), 0o755)
    client = await spawnBroker({ dir, env: { FIXTURE_LOG: fixtureLog, PATH: `${bin}:${process.env.PATH}` } })
    seen = new Seen(client)
  })

  after(async () => {
    seen?.off()
    if (client?.brokerPid && pidAlive(client.brokerPid)) await client.shutdown()
  })

  test('session, health, config, lease: ready at once, Relaycast-free defaults', async () => {
    const session = await client.getSession()
    assert.equal(session.protocol_version, 2)
    assert.equal(session.mode, 'ephemeral')
    assert.equal(session.default_workspace_id, 'local')
    assert.equal(session.workspace_key, null)
    assert.equal(client.workspaceKey, null)
    const health = await client.healthCheck()
    assert.equal(health.service, 'agent-relay-listen')
    const config = await client.getConfig()
    assert.deepEqual(config, { workspaceKey: null, defaultWorkspaceId: 'local', memberships: [{ workspace_id: 'local', is_default: true }] })
    assert.deepEqual(await client.renewLease(), { renewed: true, expires_in_secs: 120, persist: false })
  })

  test('spawnPty → agent_spawned, worker_ready; listAgents', async () => {
    const res = await client.spawnPty({ name: 'alice', cli: ECHO_CLI, channels: ['general'] })
    assert.equal(res.name, 'alice')
    assert.equal(res.runtime, 'pty')
    const spawned = await seen.kind('agent_spawned', 'alice')
    assert.equal(spawned.runtime, 'pty')
    assert.equal(spawned.source, 'http_api')
    assert.equal(typeof spawned.seq, 'number')
    const ready = await seen.kind('worker_ready', 'alice')
    assert.equal(ready.runtime, 'pty')
    const agents = await client.listAgents()
    const alice = agents.find((a) => a.name === 'alice')
    assert.ok(alice)
    assert.deepEqual(alice.channels, ['general'])
    assert.equal(alice.parent, 'Dashboard')
    assert.ok((alice.pid ?? 0) > 0)
  })

  test('sendMessage: targets, then relay_inbound → queued → injected → ack → confirmed → verified; snapshot shows it', async () => {
    const res = await client.sendMessage({ to: 'alice', text: 'hello from the sdk', from: 'tester' })
    assert.match(res.event_id, /^http_[0-9a-f]{32}$/)
    assert.deepEqual(res.targets, ['alice'])
    await seen.waitFor((e) => e.kind === 'delivery_verified' && e.event_id === res.event_id, 'delivery_verified')
    const kinds: string[] = seen.forEvent(res.event_id).map((e) => e.kind)
    const order = ['relay_inbound', 'delivery_queued', 'delivery_injected', 'delivery_ack', 'message_delivery_confirmed', 'delivery_verified']
    const at = order.map((k) => kinds.indexOf(k))
    assert.ok(at.every((i) => i >= 0), `all of ${order} in ${kinds}`)
    assert.deepEqual(at.slice(1), [...at.slice(1)].sort((a, b) => a - b), `worker stages in order: ${kinds}`)
    const inbound = seen.forEvent(res.event_id).find((e) => e.kind === 'relay_inbound')!
    assert.equal(inbound.from, 'tester')
    assert.equal(inbound.target, 'alice')
    assert.equal(inbound.body, 'hello from the sdk')
    assert.equal(inbound.workspace_id, 'local')
    const confirmed = seen.forEvent(res.event_id).find((e) => e.kind === 'message_delivery_confirmed')!
    assert.equal(confirmed.name, 'alice')
    assert.equal(confirmed.from, 'tester')

    const snap = await client.snapshot('alice')
    assert.equal(snap.format, 'plain')
    assert.ok(squash(snap.screen).includes(squash(`got: Relay message from tester [local / ${res.event_id}]: hello from the sdk`)), snap.screen)
    const ansi = await client.snapshot('alice', 'ansi')
    assert.equal(ansi.format, 'ansi')
    assert.match(Buffer.from(ansi.screen, 'base64').toString('utf8'), /hello from the sdk/)
  })

  test('sendInput types into the PTY; subscribeWorkerStream yields the echo', async () => {
    const stream = client.subscribeWorkerStream('alice', { stream: 'stdout' })[Symbol.asyncIterator]()
    const res = await client.sendInput('alice', 'typed by sendInput\r')
    assert.deepEqual(res, { name: 'alice', bytes_written: 19 })
    let out = ''
    while (!out.includes('got: typed by sendInput')) {
      const next = await Promise.race([
        stream.next(),
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no stream output; had ${JSON.stringify(out)}`)), 10_000))
      ])
      assert.equal(next.done, false)
      out += next.value
    }
    await stream.return?.()
    await waitUntil(() => linesOf('alice').includes('typed by sendInput'), 5_000, 'the fixture to read the input')
  })

  test('openInputStream: ready, one ack per write, writes arrive in order', async () => {
    const input = client.openInputStream('alice')
    await input.waitUntilOpen()
    const acks = await Promise.all(['stream one\r', 'stream two\r', 'stream three\r'].map((d) => input.send(d)))
    assert.deepEqual(acks.map((a) => a.bytes_written), [11, 11, 13])
    assert.ok(acks.every((a) => a.name === 'alice'))
    input.close()
    await waitUntil(() => linesOf('alice').includes('stream three'), 5_000, 'the streamed lines')
    const lines = linesOf('alice')
    assert.ok(lines.indexOf('stream one') < lines.indexOf('stream two') && lines.indexOf('stream two') < lines.indexOf('stream three'))

    const ghost = client.openInputStream('ghost')
    const err = await rejects(ghost.waitUntilOpen())
    assert.equal(err.code, 'agent_not_found')
    assert.equal(err.status, 404)
    assert.equal(err.retryable, false)
  })

  test('resizePty changes the snapshot size', async () => {
    assert.deepEqual(await client.resizePty('alice', 30, 100), { name: 'alice', rows: 30, cols: 100 })
    await waitUntil(() => true, 0)
    let snap = await client.snapshot('alice')
    for (let i = 0; i < 20 && snap.rows !== 30; i++) snap = await client.snapshot('alice')
    assert.equal(snap.rows, 30)
    assert.equal(snap.cols, 100)
    const err = await rejects(client.resizePty('alice', 0, 10))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'invalid_request')
  })

  test('setModel types `/model X` into the CLI and updates the agent', async () => {
    const res = await client.setModel('alice', 'sonnet', { timeoutMs: 5_000 })
    assert.deepEqual(res, { name: 'alice', model: 'sonnet', success: true })
    await waitUntil(() => linesOf('alice').includes('/model sonnet'), 5_000, 'the /model line')
    const alice = (await client.listAgents()).find((a) => a.name === 'alice')!
    assert.equal(alice.model, 'sonnet')
    assert.ok(!seen.all.some((e) => e.kind === 'worker_error' && e.name === 'alice'), 'no worker_error (the original sends raw text into its frame pipe)')
    const err = await rejects(client.setModel('ghost', 'x'))
    assert.equal(err.status, 404)
  })

  test('subscribeChannels / unsubscribeChannels change routing and emit channel events', async () => {
    await client.subscribeChannels('alice', ['ops', 'OPS', '#review'])
    const sub = await seen.kind('channel_subscribed', 'alice')
    assert.deepEqual(sub.channels, ['ops', '#review'])
    let alice = (await client.listAgents()).find((a) => a.name === 'alice')!
    assert.deepEqual(alice.channels, ['general', 'ops', '#review'])
    const toOps = await client.sendMessage({ to: '#ops', text: 'ops only' })
    assert.deepEqual(toOps.targets, ['alice'])
    await client.unsubscribeChannels('alice', ['OPS'])
    const unsub = await seen.kind('channel_unsubscribed', 'alice')
    assert.deepEqual(unsub.channels, ['ops'])
    alice = (await client.listAgents()).find((a) => a.name === 'alice')!
    assert.deepEqual(alice.channels, ['general', '#review'])
    const err = await rejects(client.sendMessage({ to: '#ops', text: 'nobody' }))
    assert.equal(err.status, 404)
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))
    assert.deepEqual(state.agents.alice.spec.channels, ['general', '#review'], 'the state record carries the current channels')
    assert.equal((await rejects(client.subscribeChannels('ghost', ['x']))).code, 'agent_not_found')
  })

  test('getStatus, getMetrics, getCrashInsights, preflight', async () => {
    const status = await client.getStatus()
    assert.equal(status.agent_count, (await client.listAgents()).length)
    assert.ok(status.agents.some((a) => a.name === 'alice'))
    assert.ok(Array.isArray(status.pending_deliveries))
    assert.equal(status.pending_delivery_count, status.pending_deliveries.length)
    assert.deepEqual(await client.preflight([{ name: 'pf-1', cli: 'claude' }, { name: 'pf-2', cli: 'codex' }]), { queued: 2 })
    const metrics = await client.getMetrics()
    assert.ok(metrics.agents.some((a) => a.name === 'alice'))
    const one = await client.getMetrics('alice')
    assert.deepEqual(one.agents.map((a) => a.name), ['alice'])
    const crashes = await client.getCrashInsights()
    assert.equal(typeof crashes.health_score, 'number')
    assert.ok(Array.isArray(crashes.recent))
  })

  test('event buffer: queryEvents, getLastEvent, addListener/removeListener, disconnect and reconnect with sinceSeq', async () => {
    const spawned = client.queryEvents({ kind: 'agent_spawned', name: 'alice' })
    assert.equal(spawned.length, 1)
    assert.equal(client.getLastEvent('agent_spawned', 'alice')?.kind, 'agent_spawned')
    let hooks = 0
    const hook = () => {
      hooks++
    }
    client.addListener('afterAgentSpawn', hook)
    client.removeListener('afterAgentSpawn', hook)
    await client.spawnPty({ name: 'hooked', cli: ECHO_CLI })
    await client.release('hooked')
    const lastSeq = Math.max(...seen.all.map((e) => (typeof e.seq === 'number' ? e.seq : 0)))
    client.disconnectEvents()
    const missed = await client.sendMessage({ to: 'alice', text: 'sent while disconnected' })
    client.connectEvents(lastSeq)
    const replayed = await seen.waitFor((e) => e.kind === 'relay_inbound' && e.event_id === missed.event_id, 'replayed relay_inbound')
    assert.ok(replayed.seq > lastSeq)
    assert.equal(hooks, 0)
  })

  test('spawnProvider family: claude over pty starts, headless is answered', async () => {
    const claude = await client.spawnClaude({ name: 'cl', transport: 'pty' })
    assert.equal(claude.name, 'cl')
    assert.equal(claude.runtime, 'pty')
    assert.equal((await seen.kind('agent_spawned', 'cl')).cli, 'claude')
    const viaProvider = await client.spawnProvider({ name: 'cl2', provider: 'claude', transport: 'pty' })
    assert.equal(viaProvider.runtime, 'pty')
    for (const attempt of [
      () => client.spawnHeadless({ name: 'hl', provider: 'claude' }),
      () => client.spawnOpencode({ name: 'oc' })
    ]) {
      try {
        const res = await attempt()
        assert.equal(res.runtime, 'headless')
        await client.release(res.name)
      } catch (err) {
        assert.ok(err instanceof AgentRelayProtocolError, String(err))
        assert.equal(err.status, 400, `a headless spawn this broker cannot serve is a 400: ${err.message}`)
      }
    }
    await client.release('cl')
    await client.release('cl2')
  })

  test('delivery mode, pending, flush (issue 5 routes)', async () => {
    assert.equal(await client.getInboundDeliveryMode('alice'), 'auto_inject')
    assert.deepEqual(await client.setInboundDeliveryMode('alice', 'manual_flush'), { mode: 'manual_flush', flushed: 0 })
    const parked = await client.sendMessage({ to: 'alice', text: 'parked message' })
    const pending = await client.getPending('alice')
    assert.equal(pending.length, 1)
    assert.equal(pending[0]!.body, 'parked message')
    assert.deepEqual(await client.flushPending('alice'), { flushed: 1 })
    await seen.waitFor((e) => e.kind === 'delivery_verified' && e.event_id === parked.event_id, 'the flushed delivery verified')
    assert.deepEqual(await client.setInboundDeliveryMode('alice', 'auto_inject'), { mode: 'auto_inject', flushed: 0 })
  })

  test('release → agent_released; connect() finds the broker; shutdown() stops the process', async () => {
    const connected = AgentRelayClient.connect({ connectionPath: join(dir, 'connection.json') })
    assert.equal((await connected.getSession()).mode, 'ephemeral')
    connected.disconnect()

    await client.release('alice', 'done')
    await seen.kind('agent_released', 'alice')
    assert.ok(!(await client.listAgents()).some((a) => a.name === 'alice'))
    const again = await rejects(client.release('alice'))
    assert.equal(again.code, 'agent_not_found')
    assert.equal(again.status, 404)

    const pid = client.brokerPid!
    assert.ok(pidAlive(pid))
    await client.shutdown()
    await waitUntil(() => !pidAlive(pid), 5_000, 'the broker to exit')
    assert.equal(existsSync(join(dir, 'connection.json')), false)
  })
})
