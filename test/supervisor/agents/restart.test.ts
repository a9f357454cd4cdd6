/**
 * Exits and restarts with real children: a clean exit is final, a crash is restarted with
 * growing delays until the policy gives up, the agent keeps its mailbox across a restart, and
 * crash insights carry the CLI's real exit code.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, TestBroker, readJsonLines, waitUntil, type BrokerEventJson } from '../../e2e/harness.js'
import { alive, ptyChildren } from '../process/procs.js'

const exitAfter = (code: number, ms: number) => ['--exit-code', String(code), '--exit-after-ms', String(ms)]

/** Arrival time of each event, by seq. */
function stamp(events: { ws: { on(ev: 'message', fn: (d: unknown) => void): unknown } }): Map<number, number> {
  const at = new Map<number, number>()
  events.ws.on('message', (d) => {
    const ev = JSON.parse(String(d)) as BrokerEventJson
    if (typeof ev.seq === 'number') at.set(ev.seq, Date.now())
  })
  return at
}

test('a CLI that exits by itself: one agent_exited with its code and the child\'s reason, no agent_exit; the child is gone', async () => {
  const broker = await new TestBroker().ready()
  const events = broker.events()
  try {
    await events.opened
    const clean = await broker.spawnAgent('clean', ECHO_CLI, { args: exitAfter(0, 400) })
    const failing = await broker.spawnAgent('failing', ECHO_CLI, { args: exitAfter(3, 400), restart_policy: { enabled: false } })

    for (const [name, spawned, code] of [['clean', clean, 0], ['failing', failing, 3]] as const) {
      const exited = await events.waitKind('agent_exited', name)
      assert.equal(exited.reason, 'child_exited')
      assert.equal(events.of('agent_exit', name).length, 0, 'no code-less agent_exit before it (9.x waitForExit takes the first)')
      assert.equal(exited.code, code)
      assert.equal(exited.signal, null)
      assert.equal(alive(spawned.pid), false, `${name}: pty child gone`)
      assert.deepEqual(ptyChildren(name), [])
    }
    assert.equal(events.of('agent_restarting').length, 0, 'neither is restarted')
    const listed = (await broker.api('GET', '/api/spawned')).body.agents.map((a: { name: string }) => a.name)
    assert.deepEqual(listed, [])
    const insights = (await broker.api('GET', '/api/crash-insights')).body
    assert.equal(insights.total_crashes, 1, 'a clean exit is not a crash')
    assert.equal(insights.recent[0].agent_name, 'failing')
    assert.equal(insights.recent[0].exit_code, 3)
    assert.equal(insights.recent[0].outcome, 'exited')
  } finally {
    events.close()
    await broker.stop()
  }
})

test('exit code 3: restarted with growing delays, then permanently dead; crash insights say code 3', async () => {
  const broker = await new TestBroker().ready()
  const events = broker.events()
  const at = stamp(events)
  try {
    await events.opened
    const first = await broker.spawnAgent('crashy', ECHO_CLI, {
      args: exitAfter(3, 200),
      restartPolicy: { enabled: true, max_restarts: 10, cooldown_ms: 100, max_consecutive_failures: 3 }
    })
    const dead = await events.waitKind('agent_permanently_dead', 'crashy', 20_000)
    assert.equal(dead.reason, 'exceeded max consecutive failures (3)')

    const restarting = events.of('agent_restarting', 'crashy')
    const restarted = events.of('agent_restarted', 'crashy')
    assert.deepEqual(restarting.map((e) => e.delay_ms), [100, 200, 400])
    assert.deepEqual(restarting.map((e) => e.restart_count), [1, 2, 3])
    assert.deepEqual(restarting.map((e) => [e.code, e.signal]), [[3, null], [3, null], [3, null]])
    assert.deepEqual(restarted.map((e) => e.restart_count), [1, 2, 3])
    for (let i = 0; i < 3; i++) {
      const waited = at.get(restarted[i]!.seq!)! - at.get(restarting[i]!.seq!)!
      assert.ok(waited >= (restarting[i]!.delay_ms as number) - 5, `restart ${i + 1} waited ${waited} ms`)
    }
    const exited = events.of('agent_exited', 'crashy')
    assert.equal(exited.length, 1, 'agent_exited only once, when it is final')
    assert.equal(exited[0]!.code, 3)
    assert.ok(exited[0]!.seq! < dead.seq!)

    const pids = [first.pid as number, ...restarted.map((e) => e.pid as number)]
    assert.equal(new Set(pids).size, 4)
    await waitUntil(() => pids.every((p) => !alive(p)), 2_000, 'every child gone')
    assert.deepEqual(ptyChildren('crashy'), [])

    const insights = (await broker.api('GET', '/api/crash-insights')).body
    const recs = insights.recent.filter((r: { agent_name: string }) => r.agent_name === 'crashy')
    assert.equal(recs.length, 4)
    for (const r of recs) {
      assert.equal(r.exit_code, 3)
      assert.equal(r.signal, null)
      assert.equal(r.category, 'error')
      assert.ok(r.uptime_ms >= 150, `uptime ${r.uptime_ms} ms`)
      assert.match(r.last_output, /fixture ready/)
    }
    assert.deepEqual(recs.map((r: { outcome: string }) => r.outcome), ['restart', 'restart', 'restart', 'permanently_dead'])
    assert.equal(insights.health_score, 60)
    const metrics = (await broker.api('GET', '/api/metrics')).body.broker
    assert.equal(metrics.total_crashes, 4)
    assert.equal(metrics.total_restarts, 3)
    assert.equal(metrics.total_agents_spawned, 4)
  } finally {
    events.close()
    await broker.stop()
  }
})

test('a restarted agent keeps its mailbox: a message sent while it is down reaches the next child', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-restart-'))
  const fixtureLog = join(dir, 'fixture.jsonl')
  const broker = await new TestBroker({ stateDir: dir, env: { FIXTURE_LOG: fixtureLog } }).ready()
  const events = broker.events()
  try {
    await events.opened
    await broker.spawnAgent('phoenix', ECHO_CLI, {
      args: exitAfter(1, 1_500),
      channels: ['ops'],
      restart_policy: { enabled: true, max_restarts: 5, cooldown_ms: 600, max_consecutive_failures: 5 }
    })
    await events.waitKind('agent_restarting', 'phoenix')
    const during = (await broker.api('GET', '/api/spawned')).body.agents.find((a: { name: string }) => a.name === 'phoenix')
    assert.ok(during, 'still listed while it waits for its restart')
    const res = await broker.api('POST', '/api/send', { to: '#ops', text: 'sent while down' })
    assert.equal(res.status, 200, 'its channel membership is kept')
    const id = res.body.deliveries[0].delivery_id
    const verified = await events.waitFor((e) => (e.kind === 'delivery_verified' || e.kind === 'delivery_failed' || e.kind === 'delivery_dead_lettered') && e.delivery_id === id, 10_000)
    assert.equal(verified.kind, 'delivery_verified')
    assert.ok(events.of('agent_restarted', 'phoenix').length >= 1)
    // Verified means the line is on the screen, which can come before the program has read it.
    await waitUntil(() => readJsonLines(fixtureLog).some((l) => l.agent === 'phoenix' && l.line.includes('sent while down')), 10_000, 'the fixture to read the message')
    assert.equal((await broker.api('DELETE', '/api/spawned/phoenix')).status, 200)
    await events.waitKind('agent_released', 'phoenix')
    assert.deepEqual(ptyChildren('phoenix'), [])
  } finally {
    events.close()
    await broker.stop()
  }
})
