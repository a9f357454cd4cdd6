/**
 * Per-agent figures against an idle `cat` agent: memory of a `broker pty` child (PSS), send →
 * injected when the agent has been idle past the quiet window, 10 back-to-back sends all
 * verified, release → whole tree gone. Each with a floor measured in the same run.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { TestBroker, type EventLog } from '../e2e/harness.js'
import { percentile, pssMiB, rssMiB, sleep, type Row } from './table.js'

const INJECT_SENDS = Number(process.env.BENCH_INJECT_SENDS ?? 30)
const RELEASES = Number(process.env.BENCH_RELEASES ?? 7)
/** Idle time before each probe: well past the injector's quiet window (INJECT_IDLE_QUIET_MS, 60 ms). */
const IDLE_BEFORE_MS = 300
const MEMORY_AGENTS = 3
/**
 * Idle this long after ready before PSS is read, the children and the bare node alike (as for the
 * supervisor in startup.ts): V8's memory reducer gives back start-up's garbage about 8–10 s after
 * activity stops.
 */
const MEMORY_IDLE_MS = 15_000

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

async function waitReady(events: EventLog, name: string): Promise<void> {
  await events.waitKind('worker_ready', name, 30_000)
}

function outcome(events: EventLog, id: string, kind: 'delivery_injected' | 'delivery_verified'): Promise<unknown> {
  return events.waitFor((e) => (e.kind === kind || e.kind === 'delivery_failed') && e.delivery_id === id, 30_000, `${kind} ${id}`).then((e) => {
    if (e.kind === 'delivery_failed') throw new Error(`delivery ${id} failed: ${String(e.reason)}`)
  })
}

async function bareNodeKill(): Promise<number> {
  const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  await sleep(300)
  const exited = new Promise((r) => p.once('exit', r))
  const t0 = performance.now()
  p.kill('SIGTERM')
  await exited
  return performance.now() - t0
}

async function bareNodePss(): Promise<number> {
  const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  await sleep(MEMORY_IDLE_MS)
  const pss = pssMiB(p.pid!)
  p.kill('SIGKILL')
  return pss
}

export async function runAgentBench(): Promise<Row[]> {
  const broker = await new TestBroker().ready()
  const events = broker.events()
  await events.opened
  const rows: Row[] = []
  try {
    // ── memory of a broker pty child ────────────────────────────────────────
    for (let i = 0; i < MEMORY_AGENTS; i++) await broker.spawnAgent(`mem-${i}`, 'cat')
    for (let i = 0; i < MEMORY_AGENTS; i++) await waitReady(events, `mem-${i}`)
    await sleep(MEMORY_IDLE_MS)
    const agents = (await broker.api('GET', '/api/spawned')).body.agents as { name: string; pid: number }[]
    const pids = agents.filter((a) => a.name.startsWith('mem-')).map((a) => a.pid)
    const pss = pids.map(pssMiB)
    const rss = pids.map(rssMiB)
    const meanPss = pss.reduce((a, b) => a + b, 0) / pss.length
    const bare = await bareNodePss()
    rows.push({ figure: `agent child (broker pty) PSS, mean of ${pss.length} cat agents idle ${MEMORY_IDLE_MS / 1000} s`, value: meanPss, unit: 'MiB', floor: bare, floorNote: '(idle bare node)', target: '≤ 20 MiB', pass: meanPss <= 20 })
    rows.push({ figure: `    … its RSS (shared pages counted in full)`, value: rss.reduce((a, b) => a + b, 0) / rss.length, unit: 'MiB', floor: null, target: '', pass: null })

    // ── send → injected, idle agent ─────────────────────────────────────────
    const inject: number[] = []
    const reply: number[] = []
    for (let i = 0; i < INJECT_SENDS + 2; i++) {
      await sleep(IDLE_BEFORE_MS)
      const t0 = performance.now()
      const res = await broker.api('POST', '/api/send', { to: 'mem-0', text: `idle probe ${i}` })
      const t1 = performance.now()
      await outcome(events, res.body.deliveries[0].delivery_id, 'delivery_injected')
      if (i < 2) continue // warm-up
      reply.push(t1 - t0)
      inject.push(performance.now() - t0)
    }
    const injP50 = percentile(inject, 50)
    rows.push({ figure: `send → delivery_injected, agent idle ≥ ${IDLE_BEFORE_MS} ms, p50 of ${INJECT_SENDS}`, value: injP50, unit: 'ms', floor: percentile(reply, 50), floorNote: '(/api/send reply)', target: '≤ 20 ms', pass: injP50 <= 20 })
    rows.push({ figure: `    … p99`, value: percentile(inject, 99), unit: 'ms', floor: null, target: '', pass: null })

    // ── 10 back-to-back sends to one idle agent ─────────────────────────────
    await sleep(IDLE_BEFORE_MS)
    const t0 = performance.now()
    const ids: string[] = []
    for (let i = 0; i < 10; i++) ids.push((await broker.api('POST', '/api/send', { to: 'mem-1', text: `back-to-back ${i} of 10` })).body.deliveries[0].delivery_id)
    const accepted = performance.now() - t0
    await Promise.all(ids.map((id) => outcome(events, id, 'delivery_verified')))
    const all10 = performance.now() - t0
    const distinct = new Set(ids).size
    const verifiedOnce = ids.every((id) => events.all.filter((e) => e.kind === 'delivery_verified' && e.delivery_id === id).length === 1)
    rows.push({
      figure: `10 back-to-back sends to one idle agent, all verified (${distinct} ids, each verified once: ${verifiedOnce})`,
      value: all10,
      unit: 'ms',
      floor: accepted,
      floorNote: '(10 replies)',
      target: '≤ 400 ms',
      pass: all10 <= 400 && distinct === 10 && verifiedOnce
    })

    // ── release → tree gone ─────────────────────────────────────────────────
    const gone: number[] = []
    for (let i = 0; i < RELEASES; i++) {
      const name = `rel-${i}`
      const spawned = await broker.spawnAgent(name, 'cat')
      await waitReady(events, name)
      const view = ((await broker.api('GET', '/api/spawned')).body.agents as { name: string; pid: number; cli_pid: number | null }[]).find((a) => a.name === name)!
      const tree = [spawned.pid as number, view.cli_pid].filter((p): p is number => typeof p === 'number' && p > 0)
      const r0 = performance.now()
      await broker.api('DELETE', `/api/spawned/${name}`)
      while (tree.some(running)) await sleep(1)
      gone.push(performance.now() - r0)
      if (tree.some((p) => existsSync(`/proc/${p}`) && running(p))) throw new Error('tree still alive')
    }
    const floorKill: number[] = []
    for (let i = 0; i < RELEASES; i++) floorKill.push(await bareNodeKill())
    const relP50 = percentile(gone, 50)
    rows.push({ figure: `release → reply and whole tree gone, p50 of ${RELEASES}`, value: relP50, unit: 'ms', floor: percentile(floorKill, 50), floorNote: '(SIGTERM → exit, bare node)', target: '≤ 50 ms', pass: relP50 <= 50 })
  } finally {
    events.close()
    await broker.stop()
  }
  return rows
}
