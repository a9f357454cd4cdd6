/**
 * Release leaves no process of the agent's tree alive: not the pty child, not the CLI, not the
 * CLI's children — in its group, in a group of their own, or in a session of their own.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { FIXTURES, TestBroker, waitUntil } from '../../e2e/harness.js'
import { alive, psLines, ptyChildren, sleepers } from './procs.js'

test('release kills the whole tree, including descendants that left the CLI group or session', async () => {
  const base = 40_000 + Math.floor(Math.random() * 20_000)
  const [same, group, session] = [base, base + 1, base + 2].map(String) as [string, string, string]
  const script = [
    `sleep ${same} &`, // same group and session as the CLI
    `set -m; sleep ${group} & set +m`, // a process group of its own (job control)
    `setsid sleep ${session} &`, // a session of its own
    `exec node ${join(FIXTURES, 'echo-cli.mjs')}`
  ].join('\n')
  const broker = await new TestBroker().ready()
  const events = broker.events()
  try {
    await events.opened
    const spawned = await broker.spawnAgent('tree', 'bash', { args: ['-c', script] })
    await events.waitKind('worker_ready', 'tree')
    await waitUntil(() => [same, group, session].every((n) => sleepers(n).length === 1), 5_000, 'descendants running')
    const cliPid = (await broker.api('GET', '/api/spawned')).body.agents[0].cli_pid as number
    assert.ok(alive(cliPid))
    assert.equal(psLines(`sleep ${session}`).length, 1, 'ps sees the setsid child')

    const res = await broker.api('DELETE', '/api/spawned/tree')
    assert.equal(res.status, 200)
    // The reply comes once the tree is gone: no waiting here.
    for (const n of [same, group, session]) assert.deepEqual(sleepers(n), [], `sleep ${n} still alive: ${psLines(`sleep ${n}`).join(' | ')}`)
    assert.equal(alive(spawned.pid), false, 'pty child gone')
    assert.equal(alive(cliPid), false, 'cli gone')
    assert.deepEqual(ptyChildren('tree'), [])
    assert.deepEqual([same, group, session].flatMap((n) => psLines(`sleep ${n}`)), [])
    const kinds = events.all.filter((e) => e.name === 'tree').map((e) => e.kind)
    assert.deepEqual(kinds.slice(kinds.indexOf('agent_exited')), ['agent_exited', 'agent_released'])
    assert.equal(kinds.includes('agent_exit'), false, 'no code-less agent_exit before the final exit (docs/decisions.md)')
  } finally {
    events.close()
    await broker.stop()
    for (const n of [same, group, session]) for (const pid of sleepers(n)) process.kill(pid, 'SIGKILL')
  }
})

test('a crash of the pty child (SIGKILL) takes the CLI and its descendants with it', async () => {
  const n = String(60_000 + Math.floor(Math.random() * 5_000))
  const script = [`setsid sleep ${n} &`, `exec node ${join(FIXTURES, 'echo-cli.mjs')}`].join('\n')
  const broker = await new TestBroker().ready()
  const events = broker.events()
  try {
    await events.opened
    const spawned = await broker.spawnAgent('victim', 'bash', { args: ['-c', script], restart_policy: { enabled: false } })
    await events.waitKind('worker_ready', 'victim')
    await waitUntil(() => sleepers(n).length === 1, 5_000, 'descendant running')
    const cliPid = (await broker.api('GET', '/api/spawned')).body.agents[0].cli_pid as number
    process.kill(spawned.pid, 'SIGKILL')
    const exited = await events.waitKind('agent_exited', 'victim')
    assert.equal(exited.signal, '9')
    assert.equal(alive(cliPid), false, 'the orphaned cli was killed')
    assert.deepEqual(sleepers(n), [], 'its setsid descendant too')
  } finally {
    events.close()
    await broker.stop()
    for (const pid of sleepers(n)) process.kill(pid, 'SIGKILL')
  }
})
