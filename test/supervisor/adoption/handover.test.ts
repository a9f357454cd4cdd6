/**
 * Planned hand-over (issue 14): `POST /api/shutdown {keep_agents: true}` and, for SIGTERM,
 * `broker init --keep-agents-on-sigterm` stop the supervisor and leave the agents running; the
 * next broker on the state dir adopts them. With messages flowing the whole time: no process
 * restarted, nothing lost, nothing typed twice.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, TestBroker, readJsonLines } from '../../e2e/harness.js'
import { alive } from '../process/procs.js'

const AGENTS = ['north', 'south']
const TERMINAL = new Set(['verified', 'failed', 'dead_lettered'])

async function pids(b: TestBroker): Promise<Record<string, [number, number]>> {
  const out: Record<string, [number, number]> = {}
  for (const a of (await b.api('GET', '/api/spawned')).body.agents) out[a.name] = [a.pid, a.cli_pid]
  return out
}

test('planned hand-over mid-conversation: nothing restarted, nothing lost', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-handover-'))
  const fixtureLog = join(dir, 'fixture.jsonl')
  const env = { FIXTURE_LOG: fixtureLog }
  let broker = await new TestBroker({ stateDir: dir, env }).ready()
  const brokers = [broker]
  try {
    const events = broker.events()
    await events.opened
    for (const n of AGENTS) await broker.spawnAgent(n, ECHO_CLI)
    for (const n of AGENTS) await events.waitKind('worker_ready', n)
    events.close()
    const before = await pids(broker)

    const accepted = new Map<string, { agent: string; tag: string }>()
    let m = 0
    // One message; a send that meets the gap between two brokers is retried with its idempotency key.
    const sendOne = async (): Promise<void> => {
      const agent = AGENTS[m % 2]!
      const tag = `talk-${m}-end`
      const body = { to: agent, text: tag, from: 'human:test', idempotency_key: tag }
      m++
      for (let attempt = 0; attempt < 100; attempt++) {
        try {
          const res = await broker.api('POST', '/api/send', body)
          if (res.status === 200) {
            accepted.set(res.body.deliveries[0].delivery_id, { agent, tag })
            return
          }
        } catch {
          // between brokers
        }
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error(`send ${tag} never accepted`)
    }
    for (let i = 0; i < 6; i++) await sendOne()

    // Hand-over 1: the API, while the last sends are still being typed.
    const res = await broker.api('POST', '/api/shutdown', { keep_agents: true })
    assert.equal(res.status, 200)
    assert.equal(res.body.keep_agents, true)
    assert.equal((await broker.exited).code, 0)
    for (const [p, c] of Object.values(before)) assert.ok(alive(p) && alive(c), 'agents left running')
    broker = await new TestBroker({ stateDir: dir, env, args: ['--keep-agents-on-sigterm'] }).ready()
    brokers.push(broker)
    assert.deepEqual(await pids(broker), before, 'same processes after the API hand-over')
    for (let i = 0; i < 6; i++) await sendOne()

    // Hand-over 2: SIGTERM to a broker started with --keep-agents-on-sigterm.
    broker.proc.kill('SIGTERM')
    assert.equal((await broker.exited).code, 0, broker.stderr.split('\n').slice(-8).join('\n'))
    for (const [p, c] of Object.values(before)) assert.ok(alive(p) && alive(c), 'agents left running after SIGTERM hand-over')
    broker = await new TestBroker({ stateDir: dir, env }).ready()
    brokers.push(broker)
    const ev = broker.events()
    await ev.opened
    assert.deepEqual(await pids(broker), before, 'same processes after the SIGTERM hand-over')
    for (let i = 0; i < 6; i++) await sendOne()

    const deadline = Date.now() + 30_000
    let recs = new Map<string, any>()
    for (;;) {
      recs = new Map()
      for (const id of accepted.keys()) recs.set(id, (await broker.api('GET', `/api/deliveries/${id}`)).body)
      if ([...recs.values()].every((r) => TERMINAL.has(r?.stage)) || Date.now() > deadline) break
      await new Promise((r) => setTimeout(r, 200))
    }
    const lines = readJsonLines(fixtureLog)
    for (const [id, { agent, tag }] of accepted) {
      assert.equal(recs.get(id)?.stage, 'verified', `${tag}: ${JSON.stringify(recs.get(id)?.history)}`)
      assert.equal(lines.filter((l) => l.agent === agent && String(l.line).includes(tag)).length, 1, `${tag} read exactly once`)
    }
    assert.equal(accepted.size, 18)
    assert.equal(ev.of('agent_spawned').length + ev.of('agent_restarted').length, 0, 'nothing restarted')
    const metrics = (await broker.api('GET', '/api/metrics')).body.broker
    assert.equal(metrics.total_agents_spawned, 0, 'no agent started by the last broker')
    ev.close()

    // A normal SIGTERM (no flag) keeps today's behaviour: agents stopped.
    await broker.stop()
    for (const [p, c] of Object.values(before)) assert.ok(!alive(p) && !alive(c), 'a normal stop stops the agents')
  } finally {
    for (const b of brokers) await b.stop()
  }
})

test('keep_agents is refused by an ephemeral broker (nobody could adopt them)', async () => {
  const broker = await new TestBroker({ ephemeral: true }).ready()
  try {
    const res = await broker.api('POST', '/api/shutdown', { keep_agents: true })
    assert.equal(res.status, 409)
    assert.equal(res.body.code ?? res.body.error?.code, 'not_durable')
  } finally {
    await broker.stop()
  }
})
