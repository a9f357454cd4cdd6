/**
 * A headless agent outlives its supervisor too: `broker headless claude` with the fake
 * stream-json provider keeps its one long-lived provider process when the supervisor is
 * SIGKILLed, and the next broker on the state dir adopts it (same child, same provider process);
 * a turn before and after is verified, and the provider saw each turn once.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FIXTURES, pidAlive, readJsonLines, TestBroker, type EventLog } from '../e2e/harness.js'

async function verified(b: TestBroker, events: EventLog, text: string): Promise<void> {
  const res = await b.api('POST', '/api/send', { to: 'hl', text, from: 'boss' })
  assert.equal(res.status, 200, res.text)
  const id = res.body.deliveries[0].delivery_id
  const end = await events.waitFor((e) => ['delivery_verified', 'delivery_failed', 'delivery_dead_lettered'].includes(e.kind) && e.delivery_id === id, 15_000)
  assert.equal(end.kind, 'delivery_verified', JSON.stringify(end))
}

test('headless: supervisor SIGKILL, the provider session is adopted, not restarted', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-adopt-headless-'))
  const bin = join(dir, 'claude')
  const log = join(dir, 'provider.log')
  writeFileSync(bin, `#!/bin/sh\nFAKE_PROVIDER_LOG="${log}" exec "${process.execPath}" "${join(FIXTURES, 'fake-provider.mjs')}" "$@"\n`)
  chmodSync(bin, 0o755)
  const state = join(dir, 'state')
  const first = await new TestBroker({ stateDir: state }).ready()
  let second: TestBroker | null = null
  try {
    const ev1 = first.events()
    await ev1.opened
    assert.equal((await first.api('POST', '/api/spawn', { name: 'hl', cli: bin, transport: 'headless' })).status, 200)
    await ev1.waitKind('worker_ready', 'hl')
    await verified(first, ev1, 'before the crash')
    ev1.close()
    const [before] = (await first.api('GET', '/api/spawned')).body.agents
    first.proc.kill('SIGKILL')
    await first.exited
    assert.ok(pidAlive(before.pid), 'the headless child survives')

    second = await new TestBroker({ stateDir: state }).ready()
    const ev2 = second.events()
    await ev2.opened
    const [after] = (await second.api('GET', '/api/spawned')).body.agents
    assert.equal(after.pid, before.pid, 'same child')
    await ev2.waitKind('agent_adopted', 'hl')
    await verified(second, ev2, 'after the adoption')
    ev2.close()
    const lines = readJsonLines(log)
    assert.equal(lines.filter((l) => l.event === 'start').length, 1, 'one provider process across the crash')
    assert.equal(lines.filter((l) => l.event === 'turn').length, 2, 'each turn once')
  } finally {
    await second?.stop()
    await first.stop()
  }
})
