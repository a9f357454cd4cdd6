/** The delivery engine end to end: stages, idempotency, manual flush, eviction, dead letters, typed-once. */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, MUTE_CLI, TestBroker, readJsonLines, waitUntil, type EventLog } from '../../e2e/harness.js'

describe('delivery engine', () => {
  let broker: TestBroker
  let events: EventLog
  let fixtureLog: string

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-delivery-'))
    fixtureLog = join(dir, 'fixture.jsonl')
    broker = await new TestBroker({ stateDir: dir, env: { FIXTURE_LOG: fixtureLog } }).ready()
    events = broker.events()
    await events.opened
    await broker.spawnAgent('ann', ECHO_CLI)
    await events.waitKind('worker_ready', 'ann')
  })

  after(async () => {
    events?.close()
    await broker?.stop()
  })

  test('every transition is an event, and the delivery can be looked up with its history', async () => {
    const res = await broker.api('POST', '/api/send', { to: 'ann', text: 'stage by stage' })
    assert.equal(res.status, 200)
    assert.equal(res.body.status, 'accepted')
    const id = res.body.deliveries[0].delivery_id
    await events.waitFor((e) => e.kind === 'delivery_verified' && e.delivery_id === id)
    const kinds = events.all.filter((e) => e.delivery_id === id).map((e) => e.kind)
    for (const k of ['delivery_accepted', 'delivery_queued', 'delivery_injected', 'delivery_ack', 'message_delivery_confirmed', 'delivery_verified']) {
      assert.ok(kinds.includes(k), `${k} in ${kinds}`)
    }
    assert.ok(kinds.indexOf('delivery_accepted') < kinds.indexOf('delivery_queued'))
    const got = await broker.api('GET', `/api/deliveries/${id}`)
    assert.equal(got.status, 200)
    assert.equal(got.body.stage, 'verified')
    assert.deepEqual(got.body.history.map((h: any) => h.stage), ['accepted', 'queued', 'injected', 'verified'])
    assert.equal((await broker.api('GET', '/api/deliveries/del_nope')).status, 404)
  })

  test('a duplicate idempotency key is accepted once', async () => {
    const body = { to: 'ann', text: 'only once please', idempotency_key: 'key-123' }
    const first = await broker.api('POST', '/api/send', body)
    const second = await broker.api('POST', '/api/send', body)
    const third = await broker.api('POST', '/api/send', { to: 'ann', text: 'only once please' }, { 'idempotency-key': 'key-123' })
    assert.equal(first.status, 200)
    assert.equal(second.body.duplicate, true)
    assert.equal(third.body.duplicate, true)
    assert.equal(second.body.event_id, first.body.event_id)
    assert.deepEqual(second.body.deliveries, first.body.deliveries)
    await events.waitFor((e) => e.kind === 'delivery_verified' && e.delivery_id === first.body.deliveries[0].delivery_id)
    await new Promise((r) => setTimeout(r, 300))
    const lines = readJsonLines(fixtureLog).filter((l) => l.agent === 'ann' && l.line.endsWith('only once please'))
    assert.equal(lines.length, 1)
  })

  test('manual_flush parks messages, lists them, and a flush delivers them in priority order', async () => {
    const put = await broker.api('PUT', '/api/spawned/ann/delivery-mode', { mode: 'manual_flush' })
    assert.deepEqual(put.body, { mode: 'manual_flush', flushed: 0 })
    await events.waitKind('agent_inbound_delivery_mode_changed', 'ann')
    const low = await broker.api('POST', '/api/send', { to: 'ann', text: 'parked low', priority: 4 })
    const high = await broker.api('POST', '/api/send', { to: 'ann', text: 'parked high', priority: 1 })
    const pending = await broker.api('GET', '/api/spawned/ann/pending')
    assert.deepEqual(pending.body.pending.map((p: any) => p.body), ['parked high', 'parked low'])
    assert.equal(pending.body.pending[0].priority, 1)
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(events.all.some((e) => e.kind === 'delivery_injected' && e.delivery_id === low.body.deliveries[0].delivery_id), false)
    const flushed = await broker.api('POST', '/api/spawned/ann/flush')
    assert.deepEqual(flushed.body, { flushed: 2 })
    for (const r of [high, low]) await events.waitFor((e) => e.kind === 'delivery_verified' && e.delivery_id === r.body.deliveries[0].delivery_id)
    const order = readJsonLines(fixtureLog).filter((l) => l.agent === 'ann' && /parked (high|low)$/.test(l.line)).map((l) => l.line.split(': ').pop())
    assert.deepEqual(order, ['parked high', 'parked low'])
    const back = await broker.api('PUT', '/api/spawned/ann/delivery-mode', { mode: 'AUTO_INJECT ' })
    assert.deepEqual(back.body, { mode: 'auto_inject', flushed: 0 })
    assert.equal((await broker.api('PUT', '/api/spawned/ann/delivery-mode', { mode: 'sometimes' })).status, 400)
    assert.equal((await broker.api('GET', '/api/spawned/ghost/pending')).status, 404)
  })

  test('a message that cannot be typed before its deadline is dead-lettered, listed and redeliverable', async () => {
    await broker.spawnAgent('late', ECHO_CLI, { inject_timeout_secs: 1 })
    await events.waitKind('worker_ready', 'late')
    await broker.api('PUT', '/api/spawned/late/delivery-mode', { mode: 'manual_flush' })
    const res = await broker.api('POST', '/api/send', { to: 'late', text: 'too late', from: 'human:zed' })
    const id = res.body.deliveries[0].delivery_id
    const dead = await events.waitFor((e) => e.kind === 'delivery_dead_lettered' && e.delivery_id === id, 10_000)
    assert.match(String(dead.reason), /not typed within 1s/)
    const list = await broker.api('GET', '/api/dead-letters')
    assert.ok(list.body.dead_letters.some((d: any) => d.delivery_id === id && d.stage === 'dead_lettered'))
    await broker.api('PUT', '/api/spawned/late/delivery-mode', { mode: 'auto_inject' })
    const again = await broker.api('POST', `/api/dead-letters/${id}/redeliver`)
    assert.equal(again.status, 200)
    await events.waitFor((e) => e.kind === 'delivery_verified' && e.delivery_id === again.body.delivery_id)
    assert.equal((await broker.api('GET', `/api/deliveries/${id}`)).body.redelivered_as, again.body.delivery_id)
    assert.equal((await broker.api('POST', '/api/dead-letters/del_nope/redeliver')).status, 404)
  })

  test('a dead letter whose facts say it was typed is redelivered only with force, and the answer says so', async () => {
    await broker.spawnAgent('partial', ECHO_CLI, { inject_timeout_secs: 1 })
    await events.waitKind('worker_ready', 'partial')
    await broker.api('PUT', '/api/spawned/partial/delivery-mode', { mode: 'manual_flush' })
    const res = await broker.api('POST', '/api/send', { to: 'partial', text: 'maybe typed already' })
    const id = res.body.deliveries[0].delivery_id
    await events.waitFor((e) => e.kind === 'delivery_dead_lettered' && e.delivery_id === id, 10_000)
    // What an earlier worker would have written before typing its first byte.
    appendFileSync(join(broker.stateDir, 'facts', 'partial.log'), JSON.stringify({ id, fact: 'injecting' }) + '\n')
    await broker.api('PUT', '/api/spawned/partial/delivery-mode', { mode: 'auto_inject' })
    const refused = await broker.api('POST', `/api/dead-letters/${id}/redeliver`)
    assert.equal(refused.status, 409)
    assert.equal(refused.body.code, 'possibly_typed')
    assert.match(refused.body.message, /force/)
    assert.equal((await broker.api('GET', `/api/deliveries/${id}`)).body.redelivered_as, null, 'nothing sent')
    const forced = await broker.api('POST', `/api/dead-letters/${id}/redeliver`, { force: true })
    assert.equal(forced.status, 200)
    assert.equal(forced.body.forced, true)
    assert.match(forced.body.warning, /already typed/)
    await events.waitFor((e) => e.kind === 'delivery_verified' && e.delivery_id === forced.body.delivery_id)
  })

  test('a full mailbox evicts the lowest droppable priority and says so; P1 survives', async () => {
    await broker.api('PUT', '/api/spawned/ann/delivery-mode', { mode: 'manual_flush' })
    const first = await broker.api('POST', '/api/send', { to: 'ann', text: 'lowest and oldest', priority: 4 })
    const keep = await broker.api('POST', '/api/send', { to: 'ann', text: 'must stay', priority: 1 })
    for (let i = 0; i < 254; i++) await broker.api('POST', '/api/send', { to: 'ann', text: `filler ${i}`, priority: 3 })
    const over = await broker.api('POST', '/api/send', { to: 'ann', text: 'one too many', priority: 2 })
    assert.equal(over.status, 200)
    const dropped = await events.waitFor((e) => e.kind === 'delivery_dropped' && e.delivery_id === first.body.deliveries[0].delivery_id)
    assert.equal(dropped.reason, 'mailbox_full')
    const evicted = (await broker.api('GET', `/api/deliveries/${first.body.deliveries[0].delivery_id}`)).body
    assert.equal(evicted.stage, 'dead_lettered')
    assert.equal(evicted.reason, 'mailbox_full: cap 256 reached; dropped this P4 message for a more urgent P2 one')
    const pending = await broker.api('GET', '/api/spawned/ann/pending')
    assert.equal(pending.body.pending.length, 256)
    assert.equal(pending.body.pending[0].delivery_id, keep.body.deliveries[0].delivery_id)
    // Leave the mailbox empty for whoever comes next.
    await broker.api('DELETE', '/api/spawned/ann')
  })
})

describe('typed once', () => {
  test('a worker killed after injected but before verified: not typed again, ends failed with what is known', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-typed-once-'))
    const fixtureLog = join(dir, 'fixture.jsonl')
    const broker = await new TestBroker({ stateDir: dir, env: { FIXTURE_LOG: fixtureLog } }).ready()
    const events = broker.events()
    try {
      await events.opened
      const spawned = await broker.spawnAgent('deaf', MUTE_CLI, { verify_window_secs: 30, restart_policy: { enabled: true, max_restarts: 3, cooldown_ms: 100 } })
      await events.waitKind('worker_ready', 'deaf')
      const res = await broker.api('POST', '/api/send', { to: 'deaf', text: 'typed exactly once' })
      const id = res.body.deliveries[0].delivery_id
      await events.waitFor((e) => e.kind === 'delivery_injected' && e.delivery_id === id)
      await waitUntil(() => readJsonLines(fixtureLog).some((l) => l.line.endsWith('typed exactly once')), 5_000, 'fixture got the text')
      process.kill(spawned.pid, 'SIGKILL')
      const failed = await events.waitFor((e) => e.kind === 'delivery_failed' && e.delivery_id === id, 15_000)
      assert.match(String(failed.reason), /typed/)
      const rec = (await broker.api('GET', `/api/deliveries/${id}`)).body
      assert.equal(rec.stage, 'failed')
      // Give a restarted worker every chance to type it again.
      await new Promise((r) => setTimeout(r, 1_500))
      const typed = readJsonLines(fixtureLog).filter((l) => l.line.endsWith('typed exactly once'))
      assert.equal(typed.length, 1, 'typed once, never again')
      assert.equal(events.all.filter((e) => e.kind === 'delivery_verified' && e.delivery_id === id).length, 0)
    } finally {
      events.close()
      await broker.stop()
    }
  })
})
