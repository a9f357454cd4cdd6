/** `/api/metrics` (JSON and Prometheus), `/api/crash-insights`, the owner lease, and the shutdown deadline. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ECHO_CLI, TestBroker } from '../../e2e/harness.js'
import { alive, ptyChildren, sleep } from '../process/procs.js'
import { BROKER_SHUTDOWN_DEADLINE_MS } from '../../../src/supervisor/runtime.js'

test('GET /api/metrics: per-agent counters and broker figures, JSON and Prometheus', async () => {
  const broker = await new TestBroker().ready()
  const events = broker.events()
  try {
    await events.opened
    await broker.spawnAgent('b-agent', ECHO_CLI)
    await broker.spawnAgent('a-agent', ECHO_CLI)
    await events.waitKind('worker_ready', 'a-agent')
    await events.waitKind('worker_ready', 'b-agent')
    const res = await broker.api('POST', '/api/send', { to: 'a-agent', text: 'count me' })
    await events.waitFor((e) => e.kind === 'delivery_verified' && e.delivery_id === res.body.deliveries[0].delivery_id)

    const all = await broker.api('GET', '/api/metrics')
    assert.equal(all.status, 200)
    assert.deepEqual(all.body.agents.map((a: { name: string }) => a.name), ['a-agent', 'b-agent'], 'sorted by name')
    const a = all.body.agents[0]
    assert.ok(a.pid > 0 && a.cli_pid > 0)
    assert.ok(a.memory_bytes > 1_000_000, 'RSS of the pty child')
    assert.ok(a.cli_memory_bytes > 1_000_000, 'RSS of the cli')
    assert.equal(a.spawns, 1)
    assert.equal(a.crashes, 0)
    assert.equal(a.restarts, 0)
    assert.equal(a.status, 'healthy')
    assert.equal(a.deliveries.verified, 1)
    assert.equal(typeof a.uptime_secs, 'number')
    const b = all.body.broker
    assert.equal(b.active_agents, 2)
    assert.equal(b.total_agents_spawned, 2)
    assert.equal(b.total_crashes, 0)
    for (const k of ['p50', 'p99', 'max']) assert.equal(typeof b.event_loop_delay_ms[k], 'number')
    assert.ok(b.event_loop_delay_ms.samples > 0)

    const one = await broker.api('GET', '/api/metrics?agent=b-agent')
    assert.deepEqual(one.body.agents.map((x: { name: string }) => x.name), ['b-agent'])
    const missing = await broker.api('GET', '/api/metrics?agent=nope')
    assert.equal(missing.status, 404)
    assert.deepEqual(missing.body, { code: 'agent_not_found', message: "unknown worker 'nope'" })

    for (const prom of [await broker.api('GET', '/api/metrics?format=prometheus'), await broker.api('GET', '/api/metrics', undefined, { accept: 'text/plain' })]) {
      assert.equal(prom.status, 200)
      assert.match(prom.text, /^# HELP relay_broker_uptime_seconds/m)
      assert.match(prom.text, /^relay_broker_active_agents 2$/m)
      assert.match(prom.text, /^relay_agent_memory_bytes\{agent="a-agent"\} \d+$/m)
      assert.match(prom.text, /^relay_agent_deliveries\{agent="a-agent",state="verified"\} 1$/m)
      assert.match(prom.text, /^relay_broker_event_loop_delay_seconds\{quantile="0.99"\} [\d.e-]+$/m)
    }
    assert.equal((await broker.api('POST', '/api/metrics/reset')).status, 200)
    const insights = await broker.api('GET', '/api/crash-insights')
    assert.deepEqual(insights.body, { total_crashes: 0, recent: [], patterns: [], health_score: 100 })
  } finally {
    events.close()
    await broker.stop()
  }
})

test('owner lease (RELAY_OWNER_LEASE_MS): never renewed, the broker keeps running past twice the lease', async () => {
  const leaseMs = 1_500
  const broker = await new TestBroker({ env: { RELAY_OWNER_LEASE_MS: String(leaseMs) } }).ready()
  try {
    const spawned = await broker.spawnAgent('unleased', ECHO_CLI)
    await sleep(2 * leaseMs + 1_000) // several maintenance ticks past the lease
    assert.equal(broker.proc.exitCode, null, 'still running')
    assert.equal((await broker.api('GET', '/health')).status, 200)
    assert.equal(alive(spawned.pid), true, 'its agent too')
    assert.doesNotMatch(broker.stderr, /owner lease expired/)
  } finally {
    await broker.stop()
  }
})

test('owner lease (RELAY_OWNER_LEASE_MS): renewals keep the broker up; renewed and then left alone, it shuts down cleanly', async () => {
  const broker = await new TestBroker({ env: { RELAY_OWNER_LEASE_MS: '1500' } }).ready()
  const spawned = await broker.spawnAgent('leased', ECHO_CLI)
  const renewUntil = Date.now() + 2_500
  while (Date.now() < renewUntil) {
    const renew = await broker.api('POST', '/api/session/renew')
    assert.equal(renew.status, 200)
    assert.equal(renew.body.expires_in_secs, 2)
    await sleep(300)
  }
  assert.equal(broker.proc.exitCode, null, 'still running while renewed')
  const { code } = await broker.exited
  assert.equal(code, 0)
  assert.match(broker.stderr, /owner lease expired/)
  assert.equal(alive(spawned.pid), false, 'its agent went with it')
})

test('graceful shutdown has a deadline: a stopped child and a CLI that ignores signals are still gone', async () => {
  const broker = await new TestBroker().ready()
  const events = broker.events()
  await events.opened
  const stubborn = await broker.spawnAgent('stubborn', 'bash', { args: ['-c', 'trap "" HUP TERM INT; printf "> "; while true; do sleep 1; done'] })
  const wedged = await broker.spawnAgent('wedged', ECHO_CLI)
  await events.waitKind('worker_ready', 'stubborn')
  await events.waitKind('worker_ready', 'wedged')
  const cliPids = ((await broker.api('GET', '/api/spawned')).body.agents as { cli_pid: number }[]).map((a) => a.cli_pid)
  events.close()
  process.kill(wedged.pid, 'SIGSTOP')
  const t0 = Date.now()
  broker.proc.kill('SIGTERM')
  const { code } = await broker.exited
  const took = Date.now() - t0
  try {
    assert.equal(code, 0)
    assert.ok(took < BROKER_SHUTDOWN_DEADLINE_MS + 1_500, `shutdown took ${took} ms`)
    for (const pid of [stubborn.pid, wedged.pid, ...cliPids]) assert.equal(alive(pid), false, `process ${pid} survived the shutdown`)
    assert.deepEqual([...ptyChildren('stubborn'), ...ptyChildren('wedged')], [])
  } finally {
    for (const pid of [stubborn.pid, wedged.pid, ...cliPids]) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone
      }
    }
  }
})
