/** A child killed with SIGKILL in the middle of a burst must not cost another agent a single message. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, TestBroker, readJsonLines, waitUntil } from './harness.js'

test('kill -9 of one agent child mid-burst: the other agent gets all 100', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-iso-'))
  const fixtureLog = join(dir, 'fixture.jsonl')
  const broker = await new TestBroker({ stateDir: dir, env: { FIXTURE_LOG: fixtureLog } }).ready()
  const events = broker.events()
  try {
    await events.opened
    // Restarts off: this test is about the other agent; the victim's exit is final (agent_exited).
    const victim = await broker.spawnAgent('victim', ECHO_CLI, { restart_policy: { enabled: false } })
    await broker.spawnAgent('steady', ECHO_CLI)
    await events.waitKind('worker_ready', 'victim')
    await events.waitKind('worker_ready', 'steady')

    const ids: string[] = []
    for (let i = 0; i < 100; i++) {
      const target = i % 2 === 0 ? 'steady' : 'victim'
      const res = await broker.api('POST', '/api/send', { to: target, text: `burst message ${i}` })
      if (target === 'steady') {
        assert.equal(res.status, 200)
        ids.push(res.body.deliveries[0].delivery_id)
      }
      if (i === 40) process.kill(victim.pid, 'SIGKILL')
    }
    for (let i = 100; i < 150; i++) {
      const res = await broker.api('POST', '/api/send', { to: 'steady', text: `burst message ${i}` })
      assert.equal(res.status, 200)
      ids.push(res.body.deliveries[0].delivery_id)
    }
    assert.equal(ids.length, 100)
    const wanted = new Set(ids)
    await events.waitCount((e) => e.kind === 'delivery_verified' && wanted.has(String(e.delivery_id)), 100, 60_000)
    const exited = await events.waitKind('agent_exited', 'victim')
    assert.equal(exited.signal, '9')

    // The fixture's own log: every message once, none twice.
    await waitUntil(() => readJsonLines(fixtureLog).filter((l) => l.agent === 'steady').length >= 100, 10_000, 'fixture log')
    const lines = readJsonLines(fixtureLog).filter((l) => l.agent === 'steady').map((l) => /burst message (\d+)$/.exec(l.line)?.[1])
    assert.equal(lines.length, 100)
    assert.equal(new Set(lines).size, 100)
    const failedSteady = events.all.filter((e) => e.kind === 'delivery_failed' && e.name === 'steady')
    assert.equal(failedSteady.length, 0)
  } finally {
    events.close()
    await broker.stop()
  }
})
