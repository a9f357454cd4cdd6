/**
 * 50 agents on the 2-core machine: a spawn storm (all spawned at once), then 1000 messages fanned
 * out across them (round robin, 25 in flight). Every delivery must end verified exactly once:
 * lost = not verified; duplicated = typed twice (two `injecting` facts in the agent's facts file, or
 * two injected/verified events for one delivery id). The supervisor's loop delay p99 meanwhile, against
 * a bare node's on the same machine at the same time (loop-floor.ts): the CPU contention every process sees.
 * Reported, as the issue asks: with 100 processes on two cores, a busy loop's turns are stretched by
 * the scheduler (its CPU per message, below, is the part that is ours).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { TestBroker } from '../e2e/harness.js'
import { startLoopFloor } from './loop-floor.js'
import { cpuMs, sleep, type Row } from './table.js'

const AGENTS = Number(process.env.BENCH_STORM_AGENTS ?? 50)
const MESSAGES = Number(process.env.BENCH_STORM_MESSAGES ?? 1000)
const IN_FLIGHT = 25

function injectingFacts(stateDir: string, agent: string): Map<string, number> {
  const out = new Map<string, number>()
  let text = ''
  try {
    text = readFileSync(join(stateDir, 'facts', `${agent}.log`), 'utf8')
  } catch {
    return out
  }
  for (const line of text.split('\n')) {
    try {
      const f = JSON.parse(line) as { id?: string; fact?: string }
      if (f.fact === 'injecting' && f.id) out.set(f.id, (out.get(f.id) ?? 0) + 1)
    } catch {
      // torn or empty
    }
  }
  return out
}

export async function runStormBench(): Promise<Row[]> {
  const broker = await new TestBroker().ready()
  const events = broker.events()
  await events.opened
  const renew = setInterval(() => void broker.api('POST', '/api/session/renew').catch(() => {}), 30_000)
  try {
    const names = Array.from({ length: AGENTS }, (_, i) => `storm-${i}`)
    await broker.api('POST', '/api/metrics/reset')
    const s0 = performance.now()
    await Promise.all(names.map((n) => broker.spawnAgent(n, 'cat')))
    const readyNames = new Set(names)
    await events.waitCount((e) => e.kind === 'worker_ready' && readyNames.has(String(e.name)), AGENTS, 300_000)
    const stormMs = performance.now() - s0
    const stormLoop = (await broker.api('GET', '/api/metrics')).body.broker.event_loop_delay_ms

    await broker.api('POST', '/api/metrics/reset')
    const floor = startLoopFloor()
    const cpu0 = cpuMs(broker.proc.pid!)
    const m0 = performance.now()
    const ids: string[] = []
    let next = 0
    const worker = async () => {
      while (next < MESSAGES) {
        const i = next++
        const res = await broker.api('POST', '/api/send', { to: names[i % AGENTS], text: `fan-out ${i} of ${MESSAGES}` })
        if (res.status !== 200) throw new Error(`send ${i}: ${res.status} ${res.text}`)
        ids.push(res.body.deliveries[0].delivery_id)
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
    const wanted = new Set(ids)
    const ended = (e: { kind: string; delivery_id?: unknown }) =>
      (e.kind === 'delivery_verified' || e.kind === 'delivery_failed' || e.kind === 'delivery_dead_lettered') && wanted.has(String(e.delivery_id))
    await events.waitCount(ended, MESSAGES, 600_000).catch(() => {})
    const fanMs = performance.now() - m0
    const loop = (await broker.api('GET', '/api/metrics')).body.broker.event_loop_delay_ms
    const cpuPerMessage = (cpuMs(broker.proc.pid!) - cpu0) / MESSAGES
    const loopFloor = await floor.stop()
    await sleep(200) // stragglers: a second verified would show up here

    const count = (kind: string) => {
      const m = new Map<string, number>()
      for (const e of events.all) if (e.kind === kind && wanted.has(String(e.delivery_id))) m.set(String(e.delivery_id), (m.get(String(e.delivery_id)) ?? 0) + 1)
      return m
    }
    const verified = count('delivery_verified')
    const injected = count('delivery_injected')
    const lost = ids.filter((id) => !verified.has(id)).length
    const typedTwice = new Set<string>()
    for (const n of names) for (const [id, c] of injectingFacts(broker.stateDir, n)) if (wanted.has(id) && c > 1) typedTwice.add(id)
    for (const [id, c] of verified) if (c > 1) typedTwice.add(id)
    for (const [id, c] of injected) if (c > 1) typedTwice.add(id)
    return [
      { figure: `spawn storm: ${AGENTS} cat agents at once → all worker_ready`, value: stormMs, unit: 'ms', floor: null, target: '', pass: null },
      { figure: `    … supervisor loop delay p99 during the storm`, value: stormLoop.p99, unit: 'ms', floor: null, target: '', pass: null },
      { figure: `then ${MESSAGES} messages fanned out across the ${AGENTS}: lost`, value: lost, unit: 'count', floor: null, target: '0', pass: lost === 0 },
      { figure: `    … duplicated (typed or verified twice)`, value: typedTwice.size, unit: 'count', floor: null, target: '0', pass: typedTwice.size === 0 },
      { figure: `    … all ${MESSAGES} ended in`, value: fanMs, unit: 'ms', floor: null, target: '', pass: null },
      {
        figure: `    … supervisor loop delay p99 during the fan-out (max ${loop.max} ms)`,
        value: loop.p99,
        unit: 'ms',
        floor: loopFloor.p99,
        floorNote: `(an idle node's loop meanwhile, max ${loopFloor.max} ms)`,
        target: 'reported',
        pass: null
      },
      { figure: `    … supervisor CPU per message (HTTP, journal, routing, frames, events)`, value: cpuPerMessage, unit: 'ms', floor: null, target: '', pass: null }
    ]
  } finally {
    clearInterval(renew)
    events.close()
    await broker.stop()
  }
}
