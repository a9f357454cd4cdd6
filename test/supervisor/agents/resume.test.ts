/**
 * A supervisor killed with SIGKILL leaves children behind. One of them is stopped, so it cannot
 * notice its stdin closing nor open its adoption socket: the next broker on the same state dir
 * cannot adopt it, reaps it and respawns the agent. The other one is adopted (same pids). Either
 * way: exactly one child and one CLI per agent, working. A graceful stop of a durable broker
 * keeps the records and stops the processes, so the next start respawns the team.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, TestBroker, waitUntil } from '../../e2e/harness.js'
import { agentProcesses, alive, ptyChildren } from '../process/procs.js'

interface Listed {
  name: string
  pid: number
  cli_pid: number
  channels: string[]
}

async function listed(broker: TestBroker): Promise<Map<string, Listed>> {
  const agents = (await broker.api('GET', '/api/spawned')).body.agents as Listed[]
  return new Map(agents.map((a) => [a.name, a]))
}

async function bothReady(broker: TestBroker): Promise<Map<string, Listed>> {
  const events = broker.events()
  try {
    await events.opened
    await events.waitKind('worker_ready', 'alpha')
    await events.waitKind('worker_ready', 'beta')
    const res = await broker.api('POST', '/api/send', { to: 'alpha', text: 'are you back' })
    assert.equal(res.status, 200)
    const id = res.body.deliveries[0].delivery_id
    const end = await events.waitFor((e) => ['delivery_verified', 'delivery_failed', 'delivery_dead_lettered'].includes(e.kind) && e.delivery_id === id)
    assert.equal(end.kind, 'delivery_verified', 'the respawned agent works')
  } finally {
    events.close()
  }
  return listed(broker)
}

function assertOneEach(agents: Map<string, Listed>): void {
  for (const name of ['alpha', 'beta']) {
    const a = agents.get(name)!
    assert.deepEqual(ptyChildren(name), [a.pid], `${name}: exactly one pty child`)
    assert.deepEqual(agentProcesses(name, 'echo-cli.mjs'), [a.cli_pid], `${name}: exactly one cli`)
  }
}

test('start after a supervisor SIGKILL: no orphan, no duplicate, the agents come back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-resume-'))
  const leftovers: number[] = []
  const first = await new TestBroker({ stateDir: dir }).ready()
  let second: TestBroker | null = null
  let third: TestBroker | null = null
  try {
    const events = first.events()
    await events.opened
    await first.spawnAgent('alpha', ECHO_CLI, { channels: ['ops'], idle_threshold_secs: 0 })
    await first.spawnAgent('beta', ECHO_CLI)
    await events.waitKind('worker_ready', 'alpha')
    await events.waitKind('worker_ready', 'beta')
    events.close()
    const before = await listed(first)
    const old = [...before.values()].flatMap((a) => [a.pid, a.cli_pid])
    leftovers.push(...old)
    // alpha's child is stopped: it will not see its stdin close, and its CLI stays up.
    process.kill(before.get('alpha')!.pid, 'SIGSTOP')
    first.proc.kill('SIGKILL')
    await first.exited
    assert.ok(alive(before.get('alpha')!.pid) && alive(before.get('alpha')!.cli_pid), 'orphans exist before the restart')

    second = await new TestBroker({ stateDir: dir }).ready()
    const after = await bothReady(second)
    const alphaOld = [before.get('alpha')!.pid, before.get('alpha')!.cli_pid]
    for (const pid of alphaOld) assert.equal(alive(pid), false, `process ${pid} of the stopped child is gone`)
    assert.notEqual(after.get('alpha')!.pid, before.get('alpha')!.pid, 'alpha respawned')
    assert.equal(after.get('beta')!.pid, before.get('beta')!.pid, 'beta adopted: same child')
    assert.equal(after.get('beta')!.cli_pid, before.get('beta')!.cli_pid, 'beta adopted: same CLI')
    assertOneEach(after)
    assert.deepEqual(after.get('alpha')!.channels, ['ops'], 'same channels')
    const spawned = (await second.api('GET', '/api/metrics')).body.broker
    assert.equal(spawned.total_agents_spawned, 1, 'only the agent that could not be adopted was started again')

    // Graceful stop of a durable broker: the records stay, the processes go.
    const live = [...after.values()].flatMap((a) => [a.pid, a.cli_pid])
    await second.stop()
    assert.equal((await second.exited).code, 0)
    for (const pid of live) assert.equal(alive(pid), false)
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))
    assert.deepEqual(Object.keys(state.agents).sort(), ['alpha', 'beta'])
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')).children, [], 'journal empty after a clean stop')

    third = await new TestBroker({ stateDir: dir }).ready()
    assertOneEach(await bothReady(third))
    await waitUntil(() => ptyChildren('alpha').length === 1, 1_000)
  } finally {
    await third?.stop()
    await second?.stop()
    await first.stop()
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone, as it should be
      }
    }
  }
})
