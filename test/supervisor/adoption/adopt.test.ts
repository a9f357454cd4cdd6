/**
 * Agents outlive their supervisor (issue 14). A `broker init` SIGKILLed in the middle of a burst
 * of sends leaves its children running; the next broker on the same state dir adopts them: same
 * child and CLI pids, every accepted send typed exactly once (counted from the fixture's own
 * log), and a send after the restart verified by the same CLI process.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, TestBroker, readJsonLines, waitUntil, type EventLog } from '../../e2e/harness.js'
import { agentProcesses, alive, ptyChildren } from '../process/procs.js'

// Unique names: other checkouts may run agents called alpha at the same time on this machine.
const SUFFIX = Math.random().toString(16).slice(2, 8)
const AGENTS = [`alpha-${SUFFIX}`, `beta-${SUFFIX}`]
const [ALPHA, BETA] = AGENTS as [string, string]
const TERMINAL = new Set(['verified', 'failed', 'dead_lettered'])

interface Listed {
  name: string
  pid: number
  cli_pid: number
}

async function listed(broker: TestBroker): Promise<Map<string, Listed>> {
  const agents = (await broker.api('GET', '/api/spawned')).body.agents as Listed[]
  return new Map(agents.map((a) => [a.name, a]))
}

async function stages(broker: TestBroker, ids: Iterable<string>): Promise<Map<string, any>> {
  const out = new Map<string, any>()
  for (const id of ids) out.set(id, (await broker.api('GET', `/api/deliveries/${id}`)).body)
  return out
}

async function waitTerminal(broker: TestBroker, ids: string[], timeoutMs = 30_000): Promise<Map<string, any>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const recs = await stages(broker, ids)
    if ([...recs.values()].every((r) => TERMINAL.has(r?.stage))) return recs
    if (Date.now() > deadline) return recs
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** Lines the fixture CLIs read, per agent, that contain `needle`. */
function received(log: string, agent: string, needle: string): number {
  return readJsonLines(log).filter((l) => l.agent === agent && String(l.line).includes(needle)).length
}

async function startTeam(broker: TestBroker): Promise<EventLog> {
  const events = broker.events()
  await events.opened
  for (const name of AGENTS) await broker.spawnAgent(name, ECHO_CLI)
  for (const name of AGENTS) await events.waitKind('worker_ready', name)
  return events
}

test('supervisor SIGKILL mid-burst: children survive, the next broker adopts them, every send typed exactly once', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-adopt-'))
  const fixtureLog = join(dir, 'fixture.jsonl')
  const env = { FIXTURE_LOG: fixtureLog }
  const first = await new TestBroker({ stateDir: dir, env }).ready()
  let second: TestBroker | null = null
  try {
    ;(await startTeam(first)).close()
    const before = await listed(first)

    // A burst: accepted sends (200) are what must arrive, exactly once.
    const accepted = new Map<string, { agent: string; tag: string }>()
    for (let i = 0; i < 16; i++) {
      const agent = AGENTS[i % 2]!
      const tag = `burst-${i}-end`
      const res = await first.api('POST', '/api/send', { to: agent, text: tag, from: 'human:test' })
      assert.equal(res.status, 200)
      accepted.set(res.body.deliveries[0].delivery_id, { agent, tag })
    }
    first.proc.kill('SIGKILL')
    await first.exited

    for (const a of before.values()) {
      assert.ok(alive(a.pid), `${a.name}: its broker pty child survives the supervisor`)
      assert.ok(alive(a.cli_pid), `${a.name}: its CLI survives the supervisor`)
    }

    second = await new TestBroker({ stateDir: dir, env }).ready()
    const events = second.events()
    await events.opened
    const after = await listed(second)
    for (const name of AGENTS) {
      assert.equal(after.get(name)?.pid, before.get(name)!.pid, `${name}: same child pid`)
      assert.equal(after.get(name)?.cli_pid, before.get(name)!.cli_pid, `${name}: same CLI pid`)
      assert.deepEqual(ptyChildren(name), [before.get(name)!.pid], `${name}: no second child`)
      assert.deepEqual(agentProcesses(name, 'echo-cli.mjs'), [before.get(name)!.cli_pid], `${name}: no second CLI`)
    }
    const adopted = await events.waitKind('agent_adopted', ALPHA)
    assert.equal(adopted.pid, before.get(ALPHA)!.pid)
    assert.equal(adopted.cli_pid, before.get(ALPHA)!.cli_pid)
    assert.equal(typeof adopted.downtime_ms, 'number')

    const recs = await waitTerminal(second, [...accepted.keys()])
    for (const [id, { agent, tag }] of accepted) {
      const r = recs.get(id)
      assert.equal(r?.stage, 'verified', `${tag} to ${agent}: ${JSON.stringify(r?.history ?? r)}`)
      assert.equal(received(fixtureLog, agent, tag), 1, `${tag}: read exactly once by ${agent}`)
    }

    // After the restart: verified by the same CLI process.
    const res = await second.api('POST', '/api/send', { to: BETA, text: 'after-adoption-end', from: 'human:test' })
    assert.equal(res.status, 200)
    const id = res.body.deliveries[0].delivery_id
    const end = await events.waitFor((e) => ['delivery_verified', 'delivery_failed', 'delivery_dead_lettered'].includes(e.kind) && e.delivery_id === id)
    assert.equal(end.kind, 'delivery_verified')
    await waitUntil(() => received(fixtureLog, BETA, 'after-adoption-end') === 1, 5_000, 'beta read the send')
    assert.equal(readJsonLines(fixtureLog).filter((l) => String(l.line).includes('after-adoption-end'))[0]!.agent, BETA)
    assert.deepEqual(agentProcesses(BETA, 'echo-cli.mjs'), [before.get(BETA)!.cli_pid], 'the same CLI process read it')
    events.close()

    // A normal stop still stops everything.
    await second.stop()
    for (const a of before.values()) {
      await waitUntil(() => !alive(a.pid) && !alive(a.cli_pid), 5_000, `${a.name} stopped`)
    }
  } finally {
    await second?.stop()
    await first.stop()
  }
})
