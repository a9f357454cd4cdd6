/**
 * Isolation bench (issue 6): send → delivery_verified latency to a healthy agent alone, then
 * with hostile neighbours — (a) flooding output at full speed, (b) SIGSTOPped with full stdin
 * pipes, (c) crashing every second — as ratios to the alone case, with the supervisor's
 * event-loop delay in each phase and its RSS before and after a long flood.
 *
 * Env: BENCH_ISO_SENDS (sends per phase, default 100), BENCH_ISO_NEIGHBOURS (hostile agents
 * per phase, default 2), BENCH_FLOOD_SECS (the long flood, default 60).
 * Run alone: `node dist/test/bench/isolation.js`; `npm run bench` runs it after the main table.
 */
import { readFileSync } from 'node:fs'
import WebSocket from 'ws'
import { ECHO_CLI, TestBroker } from '../e2e/harness.js'
import { printTable, type Row } from './table.js'

const SENDS = Number(process.env.BENCH_ISO_SENDS ?? 100)
const NEIGHBOURS = Number(process.env.BENCH_ISO_NEIGHBOURS ?? 2)
const FLOOD_SECS = Number(process.env.BENCH_FLOOD_SECS ?? 60)

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : 0
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Delivery outcomes from `/ws`, parsing only `delivery_*` events: the bench's own client must
 * not spend a core decoding the flood it is measuring.
 */
const DELIVERY_PREFIX = Buffer.from('{"kind":"delivery_')

class Outcomes {
  readonly ws: WebSocket
  readonly opened: Promise<void>
  readonly #done = new Map<string, string>()
  readonly #waiting = new Map<string, (kind: string) => void>()

  constructor(broker: TestBroker) {
    this.ws = new WebSocket(`${broker.url.replace(/^http/, 'ws')}/ws`, { headers: { 'x-api-key': broker.apiKey } })
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
    })
    this.ws.on('message', (d: Buffer) => {
      // Look at the kind before decoding: most of what arrives during a flood is worker_stream.
      if (d.length < DELIVERY_PREFIX.length || !d.subarray(0, DELIVERY_PREFIX.length).equals(DELIVERY_PREFIX)) return
      const ev = JSON.parse(d.toString()) as { kind: string; delivery_id?: string }
      if (!ev.delivery_id || !['delivery_verified', 'delivery_failed', 'delivery_dead_lettered'].includes(ev.kind)) return
      const w = this.#waiting.get(ev.delivery_id)
      if (w) w(ev.kind)
      else this.#done.set(ev.delivery_id, ev.kind)
    })
  }

  end(id: string): Promise<string> {
    const seen = this.#done.get(id)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve) => this.#waiting.set(id, resolve))
  }
}

interface Phase {
  name: string
  p50: number
  p99: number
  loopP99: number
  loopMax: number
  failed: number
}

async function measure(broker: TestBroker, outcomes: Outcomes, name: string): Promise<Phase> {
  await broker.api('POST', '/api/metrics/reset')
  const lat: number[] = []
  let failed = 0
  for (let i = 0; i < SENDS; i++) {
    const t0 = performance.now()
    const res = await broker.api('POST', '/api/send', { to: 'probe', text: `${name} probe ${i}` })
    const id = res.body.deliveries[0].delivery_id
    if ((await outcomes.end(id)) !== 'delivery_verified') failed++
    lat.push(performance.now() - t0)
  }
  lat.sort((a, b) => a - b)
  const loop = (await broker.api('GET', '/api/metrics')).body.broker.event_loop_delay_ms
  return { name, p50: percentile(lat, 50), p99: percentile(lat, 99), loopP99: loop.p99, loopMax: loop.max, failed }
}

async function waitReady(broker: TestBroker, name: string): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const agents = (await broker.api('GET', '/api/spawned')).body.agents as { name: string; state: string }[]
    if (agents.find((a) => a.name === name)?.state === 'ready') return
    if (Date.now() > deadline) throw new Error(`${name} not ready`)
    await sleep(50)
  }
}

async function release(broker: TestBroker, names: string[]): Promise<void> {
  await Promise.all(names.map((n) => broker.api('DELETE', `/api/spawned/${n}`)))
}

export async function runIsolationBench(): Promise<Row[]> {
  const broker = await new TestBroker().ready()
  const outcomes = new Outcomes(broker)
  // A dashboard that reads every event, like a real client.
  const dashboard = new WebSocket(`${broker.url.replace(/^http/, 'ws')}/ws`, { headers: { 'x-api-key': broker.apiKey } })
  let streamed = 0
  dashboard.on('message', (d: Buffer) => {
    streamed += d.length
  })
  // Renew the owner lease as the SDK does (the bench outlives the 120 s lease).
  const renew = setInterval(() => void broker.api('POST', '/api/session/renew').catch(() => {}), 30_000)
  const phases: Phase[] = []
  let rssBefore = 0
  let rssAfter = 0
  let floodMiB = 0
  let crashRestarts = 0
  try {
    await outcomes.opened
    await broker.spawnAgent('probe', 'cat')
    await waitReady(broker, 'probe')
    await measure(broker, outcomes, 'warm-up')
    phases.push(await measure(broker, outcomes, 'alone'))

    // (a) flood
    const floods = Array.from({ length: NEIGHBOURS }, (_, i) => `flood-${i}`)
    for (const n of floods) await broker.spawnAgent(n, 'yes', { args: [`${n} floods its terminal at full speed`] })
    await sleep(1_000)
    phases.push(await measure(broker, outcomes, `(a) ${NEIGHBOURS} neighbours flooding output`))
    rssBefore = rssMiB(broker.proc.pid!)
    const streamedBefore = streamed
    await broker.api('POST', '/api/metrics/reset')
    await sleep(FLOOD_SECS * 1_000)
    const longFlood = (await broker.api('GET', '/api/metrics')).body.broker.event_loop_delay_ms
    rssAfter = rssMiB(broker.proc.pid!)
    floodMiB = (streamed - streamedBefore) / 2 ** 20
    phases.push({ name: `    … during the ${FLOOD_SECS} s flood (loop delay only)`, p50: NaN, p99: NaN, loopP99: longFlood.p99, loopMax: longFlood.max, failed: 0 })
    await release(broker, floods)

    // (b) stopped, with 40 × 4 KB messages waiting and their stdin pipes full
    const stopped = Array.from({ length: NEIGHBOURS }, (_, i) => `stopped-${i}`)
    const pids: number[] = []
    for (const n of stopped) pids.push((await broker.spawnAgent(n, ECHO_CLI)).pid)
    for (const n of stopped) await waitReady(broker, n)
    for (const pid of pids) process.kill(pid, 'SIGSTOP')
    const big = 'x'.repeat(4_096)
    for (const n of stopped) await Promise.all(Array.from({ length: 40 }, (_, i) => broker.api('POST', '/api/send', { to: n, text: `${i} ${big}` })))
    const inputs = stopped.map((n) => Promise.all([0, 1, 2, 3].map(() => broker.api('POST', `/api/input/${n}`, { data: 'y'.repeat(1_500_000) }))))
    await sleep(500)
    phases.push(await measure(broker, outcomes, `(b) ${NEIGHBOURS} neighbours SIGSTOPped, stdin full`))
    for (const pid of pids) process.kill(pid, 'SIGCONT')
    await Promise.all(inputs)
    await release(broker, stopped)

    // (c) crashing every second, restarted at once
    const crashing = Array.from({ length: NEIGHBOURS }, (_, i) => `crash-${i}`)
    for (const n of crashing) {
      await broker.spawnAgent(n, ECHO_CLI, {
        args: ['--exit-code', '1', '--exit-after-ms', '1000'],
        restart_policy: { enabled: true, max_restarts: 100_000, cooldown_ms: 0, max_consecutive_failures: 100_000 }
      })
    }
    await sleep(1_500)
    phases.push(await measure(broker, outcomes, `(c) ${NEIGHBOURS} neighbours crashing every second`))
    const restarts = (await broker.api('GET', '/api/metrics')).body.broker.total_restarts
    await release(broker, crashing)
    crashRestarts = restarts
  } finally {
    clearInterval(renew)
    dashboard.terminate()
    outcomes.ws.terminate()
    await broker.stop()
  }

  const alone = phases.find((p) => p.name === 'alone')!
  const rows: Row[] = [
    { figure: `isolation (${SENDS} sequential sends to cat per phase): alone, send → verified p50 (p99 ${alone.p99.toFixed(1)} ms)`, value: alone.p50, unit: 'ms', floor: null, target: '', pass: null },
    { figure: '    … alone, loop delay p99', value: alone.loopP99, unit: 'ms', floor: null, target: '< 20 ms', pass: alone.loopP99 < 20 }
  ]
  for (const p of phases) {
    if (p === alone) continue
    if (Number.isFinite(p.p50)) {
      const r50 = p.p50 / alone.p50
      const r99 = p.p99 / alone.p99
      rows.push({ figure: `${p.name}: p50 × alone (p50 ${p.p50.toFixed(1)} ms, ${p.failed} failed)`, value: r50, unit: '×', floor: null, target: '≤ 1.5 ×', pass: r50 <= 1.5 && p.failed === 0 })
      rows.push({ figure: `    … p99 × alone (p99 ${p.p99.toFixed(1)} ms)`, value: r99, unit: '×', floor: null, target: '≤ 1.5 ×', pass: r99 <= 1.5 })
    }
    if (Number.isFinite(p.loopP99)) rows.push({ figure: `${Number.isFinite(p.p50) ? '    … ' : ''}${p.name.trim().replace(/^… /, '')}: loop delay p99 (max ${p.loopMax} ms)`, value: p.loopP99, unit: 'ms', floor: null, target: '< 20 ms', pass: p.loopP99 < 20 })
  }
  rows.push({ figure: '    … restarts of the crashing neighbours during (c)', value: crashRestarts, unit: 'count', floor: null, target: '', pass: null })
  rows.push({
    figure: `supervisor RSS after the ${FLOOD_SECS} s flood (${floodMiB.toFixed(0)} MiB streamed to a dashboard)`,
    value: rssAfter,
    unit: 'MiB',
    floor: rssBefore,
    floorNote: '(before the flood)',
    target: '',
    pass: null
  })
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runIsolationBench().then(printTable, (err) => {
    console.error(err)
    process.exit(1)
  })
}
