/** Route shapes beyond what the SDK checks: raw bodies, null-vs-absent, state records, events. */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ECHO_CLI, TestBroker, readJsonLines, waitUntil, type EventLog } from '../e2e/harness.js'
import { tempDir } from '../sdk/harness.js'

/** A shell loop that reports SIGINT instead of dying, to see an interrupt land. */
const TRAP_SCRIPT = "trap 'echo INTERRUPTED' INT; echo trap-ready; while :; do sleep 0.1; done"

describe('API routes', () => {
  let broker: TestBroker
  let events: EventLog
  let fixtureLog: string
  const linesOf = (agent: string) => readJsonLines(fixtureLog).filter((l) => l.agent === agent).map((l) => l.line as string)

  before(async () => {
    const dir = tempDir('relay-routes-')
    fixtureLog = join(dir, 'fixture.jsonl')
    broker = await new TestBroker({ stateDir: dir, env: { FIXTURE_LOG: fixtureLog } }).ready()
    events = broker.events()
    await events.opened
    await broker.spawnAgent('ann', ECHO_CLI)
    await broker.spawnAgent('ben', ECHO_CLI, { channels: ['general', 'ops'] })
    await events.waitKind('worker_ready', 'ann')
    await events.waitKind('worker_ready', 'ben')
  })

  after(async () => {
    events?.close()
    await broker?.stop()
  })

  test('spawn reply and agent_spawned carry every documented key', async () => {
    const res = await broker.api('POST', '/api/spawn', { name: 'cid', cli: ECHO_CLI, model: 'opus', idleThresholdSecs: 0, shadowOf: 'ann' })
    assert.equal(res.status, 200)
    assert.deepEqual(Object.keys(res.body).sort(), ['model', 'name', 'pid', 'pre_registered', 'runtime', 'sessionId', 'success', 'warning'])
    assert.equal(res.body.model, 'opus')
    assert.match(res.body.sessionId, /^ses_[0-9a-f]{32}$/, 'a 9.x sessionId issued by the broker')
    assert.equal(res.body.warning, null)
    const ev = await events.waitKind('agent_spawned', 'cid')
    for (const k of ['name', 'runtime', 'provider', 'cli', 'model', 'pid', 'sessionId', 'source', 'pre_registered', 'registration_warning', 'seq']) {
      assert.ok(k in ev, `agent_spawned.${k}`)
    }
    assert.equal(ev.sessionId, res.body.sessionId)
    const list = await broker.api('GET', '/api/spawned')
    const cid = list.body.agents.find((a: any) => a.name === 'cid')
    for (const k of ['name', 'runtime', 'provider', 'cli', 'model', 'team', 'channels', 'parent', 'pid', 'last_activity_ms', 'last_activity_at', 'context_budget_pct', 'current_state']) {
      assert.ok(k in cid, `agent.${k}`)
    }
    assert.deepEqual(cid.channels, ['general', 'engineering'], 'no channels: the default pair')
    await broker.api('DELETE', '/api/spawned/cid')
  })

  test('model switch: a set_model frame types `/model X` + Enter; list and state record follow', async () => {
    const res = await broker.api('POST', '/api/spawned/ann/model', { model: ' haiku ', timeoutMs: 1000 })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { name: 'ann', model: 'haiku', success: true })
    await waitUntil(() => linesOf('ann').includes('/model haiku'), 5_000, 'the fixture to read /model haiku')
    const list = await broker.api('GET', '/api/spawned')
    assert.equal(list.body.agents.find((a: any) => a.name === 'ann').model, 'haiku')
    const state = JSON.parse(readFileSync(join(broker.stateDir, 'state.json'), 'utf8'))
    assert.equal(state.agents.ann.spec.model, 'haiku')
  })

  test('subscribe/unsubscribe: case-insensitive merge, `#` kept distinct, routing and state follow', async () => {
    const sub = await broker.api('POST', '/api/spawned/ann/subscribe', { channels: ['ops', '#ops', 'General', 'Ops'] })
    assert.equal(sub.status, 200)
    assert.deepEqual(sub.body, { name: 'ann', channels: ['general', 'engineering', 'ops', '#ops'] })
    const ev = await events.waitKind('channel_subscribed', 'ann')
    assert.deepEqual(ev.channels, ['ops', '#ops'])
    const toOps = await broker.api('POST', '/api/send', { to: '#ops', text: 'ops call' })
    assert.deepEqual([...toOps.body.targets].sort(), ['ann', 'ben'])
    const unsub = await broker.api('POST', '/api/spawned/ann/unsubscribe', { channels: ['OPS', 'nope'] })
    assert.deepEqual(unsub.body, { name: 'ann', channels: ['general', 'engineering', '#ops'] })
    const state = JSON.parse(readFileSync(join(broker.stateDir, 'state.json'), 'utf8'))
    assert.deepEqual(state.agents.ann.spec.channels, ['general', 'engineering', '#ops'])
    const again = await broker.api('POST', '/api/spawned/ann/subscribe', { channels: ['GENERAL'] })
    assert.deepEqual(again.body.channels, ['general', 'engineering', '#ops'])
    assert.equal(events.of('channel_subscribed', 'ann').length, 1, 'no event when nothing changed')
  })

  test('status: agents, pending deliveries in the 6.3.6 shape, local auth block', async () => {
    const res = await broker.api('GET', '/api/status')
    assert.equal(res.status, 200)
    assert.equal(res.body.agent_count, res.body.agents.length)
    assert.equal(res.body.pending_delivery_count, res.body.pending_deliveries.length)
    for (const p of res.body.pending_deliveries) {
      for (const k of ['delivery_id', 'worker_name', 'event_id', 'attempts', 'from', 'to', 'queued_at_ms', 'age_ms', 'last_error']) assert.ok(k in p, k)
    }
    assert.equal(res.body.auth.default_workspace_id, 'local')
    assert.equal(res.body.auth.workspaces[0].self_name, 'tester')
  })

  test('config, preflight, session, renew', async () => {
    assert.deepEqual((await broker.api('GET', '/api/config')).body, {
      workspaceKey: null,
      defaultWorkspaceId: 'local',
      memberships: [{ workspace_id: 'local', is_default: true }]
    })
    assert.deepEqual((await broker.api('POST', '/api/preflight', { agents: [{ name: 'a', cli: 'claude' }] })).body, { queued: 1 })
    const session = await broker.api('GET', '/api/session')
    assert.deepEqual(Object.keys(session.body).sort(), ['broker_name', 'broker_version', 'default_workspace_id', 'mode', 'protocol_version', 'uptime_secs', 'workspace', 'workspace_key'])
    assert.equal(session.body.workspace_key, null)
    const health = await broker.api('GET', '/health')
    assert.equal(health.body.wsConnections, 1, 'the one /ws client of this test')
    assert.equal(health.body.agentCount, (await broker.api('GET', '/api/spawned')).body.agents.length)
    const renew = await broker.api('POST', '/api/session/renew')
    assert.deepEqual(renew.body, { renewed: true, expires_in_secs: 120, persist: false })
  })

  test('threads and history stats from the local history', async () => {
    const dm = await broker.api('POST', '/api/send', { to: 'ann', text: 'direct hello', from: 'zed' })
    await broker.api('POST', '/api/send', { to: '#general', text: 'channel hello', from: 'zed' })
    await broker.api('POST', '/api/send', { to: 'ben', text: 'x'.repeat(300), thread_id: 'th-1' })
    const res = await broker.api('GET', '/api/threads')
    assert.equal(res.status, 200)
    const byId = new Map(res.body.threads.map((t: any) => [t.threadId, t]))
    const direct: any = byId.get('direct:ann:zed')
    assert.equal(direct.name, 'zed')
    assert.equal(direct.unreadCount, 1)
    assert.equal(direct.lastMessage, 'direct hello')
    assert.match(direct.lastMessageAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00$/)
    assert.equal((byId.get('#general') as any).name, '#general')
    const th: any = byId.get('th-1')
    assert.equal(th.name, 'ben', 'a thread started by the broker itself is named after its target')
    assert.equal(th.unreadCount, 0)
    assert.equal(th.lastMessage, 'x'.repeat(200) + '...')
    assert.equal(res.body.threads[0].threadId, 'th-1', 'most recent first')
    const stats = await broker.api('GET', '/api/history/stats')
    assert.ok(stats.body.messageCount >= 3)
    assert.equal(typeof stats.body.oldestMessageDate, 'string')
    assert.ok(dm.body.event_id)
  })

  test('interrupt: Ctrl-C for a shell (the trap fires), Escape for the agent TUIs', async () => {
    await broker.spawnAgent('trap', 'sh', { args: ['-c', TRAP_SCRIPT] })
    const snap = async () => (await broker.api('GET', '/api/spawned/trap/snapshot')).body.screen as string
    let screen = ''
    for (let i = 0; i < 100 && !screen.includes('trap-ready'); i++) {
      screen = await snap()
      await new Promise((r) => setTimeout(r, 50))
    }
    const res = await broker.api('POST', '/api/agents/by-name/trap/interrupt')
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { success: true, name: 'trap', key: 'ctrl_c' })
    for (let i = 0; i < 100 && !screen.includes('INTERRUPTED'); i++) {
      await new Promise((r) => setTimeout(r, 50))
      screen = await snap()
    }
    assert.match(screen, /INTERRUPTED/)
    await broker.api('DELETE', '/api/spawned/trap')
  })

  test('/api/events/replay: sinceSeq and since_seq, gap only when events were evicted', async () => {
    const all = await broker.api('GET', '/api/events/replay')
    assert.equal(all.body.gap, false)
    const seqs = all.body.events.map((e: any) => e.seq)
    assert.deepEqual(seqs, [...seqs].sort((a: number, b: number) => a - b))
    const last = seqs.at(-1)
    const tail = await broker.api('GET', `/api/events/replay?since_seq=${last - 2}`)
    assert.deepEqual(tail.body.events.map((e: any) => e.seq), [last - 1, last])
    assert.equal(tail.body.oldestAvailable, last - 2)
    const none = await broker.api('GET', '/api/events/replay?sinceSeq=99999')
    assert.deepEqual(none.body, { events: [], gap: false, oldestAvailable: 99999 })
  })
})
