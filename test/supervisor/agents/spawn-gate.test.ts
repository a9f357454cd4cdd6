/**
 * A spawn storm: 50 spawns at once. Spawns beyond SPAWN_CONCURRENCY_MAX wait for a start slot
 * (answered when their child starts); none is lost, all become ready, and `/health` keeps being
 * answered throughout. Its latencies are a figure for `npm run bench`, not asserted here.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ECHO_CLI, TestBroker } from '../../e2e/harness.js'
import { SpawnGate } from '../../../src/supervisor/agents/spawn-gate.js'

const STORM = 50

test(`${STORM} concurrent spawns: none lost, all ready, /health answered throughout`, async () => {
  const broker = await new TestBroker().ready()
  const events = broker.events()
  try {
    await events.opened
    let storming = true
    let healthAnswers = 0
    const healthProbe = (async () => {
      while (storming) {
        const res = await broker.api('GET', '/health')
        assert.equal(res.status, 200)
        healthAnswers++
        await new Promise((r) => setTimeout(r, 100))
      }
    })()
    const names = Array.from({ length: STORM }, (_, i) => `storm-${i}`)
    const spawns = await Promise.all(names.map((name) => broker.api('POST', '/api/spawn', { name, cli: ECHO_CLI })))
    for (const [i, res] of spawns.entries()) assert.equal(res.status, 200, `${names[i]}: ${res.text}`)
    const healthDuringSpawns = healthAnswers
    await events.waitCount((e) => e.kind === 'worker_ready' && names.includes(String(e.name)), STORM, 180_000)
    storming = false
    await healthProbe
    const listed = (await broker.api('GET', '/api/spawned')).body.agents.map((a: { name: string }) => a.name).sort()
    assert.deepEqual(listed, [...names].sort(), 'no agent lost')
    assert.ok(healthDuringSpawns > 0, '/health was answered while the spawns were in progress')
  } finally {
    events.close()
    await broker.stop()
  }
})

test('SpawnGate: waits in order beyond the limit, refuses past the queue bound with a retry hint', async () => {
  const gate = new SpawnGate(2, 1)
  const a = await gate.enter()
  const b = await gate.enter()
  let cGot = false
  const c = gate.enter().then((slot) => {
    cGot = true
    return slot
  })
  await assert.rejects(gate.enter(), (err: { status?: number; code?: string; retryAfterSecs?: number }) => err.status === 503 && err.code === 'spawn_queue_full' && (err.retryAfterSecs ?? 0) > 0)
  assert.equal(cGot, false)
  a.free()
  a.free() // idempotent
  const slot = await c
  assert.equal(gate.active, 2)
  b.free()
  slot.free()
  assert.equal(gate.active, 0)
})
