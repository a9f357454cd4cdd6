/**
 * Headless agents through the real broker: `broker headless claude` hosting the fake stream-json
 * provider (test/fixtures/fake-provider.mjs) as ONE long-lived process for many turns; stages
 * from the provider's own stream, its events on /ws as worker_stream with their type, the
 * provider's own error on failure, and nothing left running after release.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EventLog, FIXTURES, pidAlive, readJsonLines, TestBroker, waitUntil, type BrokerEventJson } from '../e2e/harness.js'

/** A directory with an executable `claude` that runs the fake provider. */
function fakeClaude(): { bin: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fake-claude-'))
  const bin = join(dir, 'claude')
  writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${join(FIXTURES, 'fake-provider.mjs')}" "$@"\n`)
  chmodSync(bin, 0o755)
  return { bin, log: join(dir, 'provider.log') }
}

const forDelivery = (kind: string, id: string) => (e: BrokerEventJson) => e.kind === kind && e.delivery_id === id

describe('headless claude (fake stream-json provider)', { concurrency: 1 }, () => {
  let broker: TestBroker
  let events: EventLog

  before(async () => {
    broker = await new TestBroker().ready()
    events = broker.events()
    await events.opened
  })

  after(async () => {
    events.close()
    await broker.stop()
  })

  async function spawnHeadless(name: string, extra: Record<string, unknown> = {}): Promise<{ log: string; bin: string }> {
    const fake = fakeClaude()
    const res = await broker.api('POST', '/api/spawn', { name, cli: fake.bin, transport: 'headless', args: ['--model', 'fake'], ...extra })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.body.runtime, 'headless')
    return fake
  }

  async function send(to: string, text: string): Promise<string> {
    const res = await broker.api('POST', '/api/send', { to, text, from: 'boss' })
    assert.equal(res.status, 200, res.text)
    return res.body.deliveries[0].delivery_id as string
  }

  test('two turns in one long-lived session: stages in true order, provider events typed on /ws', async () => {
    // The fake logs where FAKE_PROVIDER_LOG says; this agent's wrapper sets it.
    const fake = fakeClaude()
    writeFileSync(fake.bin, `#!/bin/sh\nFAKE_PROVIDER_LOG="${fake.log}" exec "${process.execPath}" "${join(FIXTURES, 'fake-provider.mjs')}" "$@"\n`)
    const res = await broker.api('POST', '/api/spawn', { name: 'h1', cli: fake.bin, transport: 'headless' })
    assert.equal(res.status, 200, res.text)
    await events.waitKind('worker_ready', 'h1')

    const spawned = (await broker.api('GET', '/api/spawned')).body.agents.find((a: { name: string }) => a.name === 'h1')
    assert.equal(spawned.runtime, 'headless')
    assert.equal(spawned.provider, 'claude')
    const snap = await broker.api('GET', '/api/spawned/h1/snapshot')
    assert.equal(snap.status, 409)
    assert.equal(snap.body.code, 'unsupported_runtime')

    const d1 = await send('h1', 'first task')
    const d2 = await send('h1', 'second task')
    await events.waitFor(forDelivery('delivery_verified', d2), 15_000, 'second turn verified')

    const order = (id: string) => events.all.filter((e) => e.delivery_id === id).map((e) => e.kind)
    for (const id of [d1, d2]) {
      const kinds = order(id).filter((k) => ['delivery_queued', 'delivery_injected', 'delivery_active', 'delivery_verified', 'delivery_failed'].includes(k))
      assert.deepEqual(kinds, ['delivery_queued', 'delivery_injected', 'delivery_active', 'delivery_verified'], `${id}: ${order(id).join(',')}`)
    }
    // One turn at a time: the second is typed only after the first turn's result.
    const idx = (pred: (e: BrokerEventJson) => boolean) => events.all.findIndex(pred)
    const firstResult = idx((e) => e.kind === 'worker_stream' && e.name === 'h1' && e.event_type === 'result')
    assert.ok(firstResult > idx(forDelivery('delivery_verified', d1)))
    assert.ok(idx(forDelivery('delivery_injected', d2)) > firstResult, 'second turn injected after the first result')

    await waitUntil(() => events.of('worker_stream', 'h1').filter((e) => e.event_type === 'result').length === 2, 5_000, 'two results')
    const types = events.of('worker_stream', 'h1').map((e) => e.event_type)
    for (const t of ['system:init', 'tool_use', 'tool_result', 'text', 'result']) assert.ok(types.includes(t), `worker_stream of type ${t}: ${types.join(',')}`)
    const texts = events.of('worker_stream', 'h1').filter((e) => e.event_type === 'text').map((e) => JSON.parse(e.chunk as string).message.content[0].text)
    assert.deepEqual(texts, ['got: Relay message from boss [local / ' + events.all.find(forDelivery('delivery_queued', d1))!.event_id + ']: first task', 'got: Relay message from boss [local / ' + events.all.find(forDelivery('delivery_queued', d2))!.event_id + ']: second task'])

    const log = readJsonLines(fake.log)
    assert.equal(log.filter((l) => l.event === 'start').length, 1, 'one provider process for both turns')
    assert.deepEqual(log.filter((l) => l.event === 'turn').length, 2)
    assert.ok(log[0].argv.includes('--dangerously-skip-permissions'), 'the profile\'s bypass flag')
    assert.ok(log[0].argv.includes('--mcp-config'), 'broker mcp wired in')
    assert.equal(events.of('agent_exited', 'h1').length, 0)

    // Release: the provider and the helper it started are gone when the release answers.
    const { pid, helper_pid } = log[0]
    assert.ok(pidAlive(pid) && pidAlive(helper_pid))
    const rel = await broker.api('DELETE', '/api/spawned/h1')
    assert.equal(rel.status, 200)
    assert.equal(pidAlive(pid), false, 'provider process gone')
    await waitUntil(() => !pidAlive(helper_pid), 2_000, 'helper gone')
    await events.waitKind('agent_released', 'h1')
  })

  test('provider auth failure: delivery_failed with the provider\'s own message', async () => {
    await spawnHeadless('h2')
    await events.waitKind('worker_ready', 'h2')
    const id = await send('h2', 'AUTH_FAIL please')
    const failed = await events.waitFor(forDelivery('delivery_failed', id), 15_000, 'auth failure')
    assert.equal(failed.reason, 'Invalid API key · Fix external API key')
    assert.ok(events.all.some(forDelivery('delivery_injected', id)))
    assert.ok(!events.all.some(forDelivery('delivery_verified', id)), 'never verified')
    const mdf = await events.waitFor((e) => e.kind === 'message_delivery_failed' && e.delivery_id === id)
    assert.equal(mdf.lastError, 'Invalid API key · Fix external API key')
    // The session survives a failed turn.
    const ok = await send('h2', 'after the failure')
    await events.waitFor(forDelivery('delivery_verified', ok), 15_000, 'next turn verified')
    await broker.api('DELETE', '/api/spawned/h2')
  })

  test('provider crash mid-turn: failed with its exit code and stderr, then the agent exits', async () => {
    await spawnHeadless('h3', { restart_policy: { enabled: false } })
    await events.waitKind('worker_ready', 'h3')
    const id = await send('h3', 'EXIT_NOW')
    const failed = await events.waitFor(forDelivery('delivery_failed', id), 15_000, 'crash failure')
    assert.equal(failed.reason, 'claude exited with code 3: fatal: provider crashed')
    const exited = await events.waitKind('agent_exited', 'h3')
    assert.equal(exited.code, 3)
  })

  test('a provider that is not headless-capable is refused', async () => {
    const res = await broker.api('POST', '/api/spawn', { name: 'h4', cli: 'cat', transport: 'headless' })
    assert.equal(res.status, 400)
    assert.equal(res.body.code, 'unsupported_provider')
  })
})
