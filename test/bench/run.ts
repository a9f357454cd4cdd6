/**
 * `npm run bench`: a real broker, real children, `cat` and the echo fixture as agents.
 * Prints one table: figure, measured value, budget, ratio (measured / budget; < 1 is within budget).
 * Budgets are ours (anchors.md §3 has no published figures to beat for PTY injection).
 */
import { readFileSync } from 'node:fs'
import { ECHO_CLI, TestBroker } from '../e2e/harness.js'
import { runIsolationBench } from './isolation.js'

const SENDS = Number(process.env.BENCH_SENDS ?? 200)
const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 5)

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : 0
  } catch {
    return 0
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

interface Row {
  figure: string
  value: number
  unit: string
  budget: number
}

async function main(): Promise<void> {
  const broker = await new TestBroker().ready()
  const events = broker.events()
  await events.opened
  // An ephemeral broker stops when its owner stops renewing the lease (as the SDK does every 60 s).
  const renew = setInterval(() => void broker.api('POST', '/api/session/renew').catch(() => {}), 30_000)
  const rows: Row[] = []
  try {
    // spawn → worker_ready
    for (const [label, cli] of [
      ['echo fixture (prompt)', ECHO_CLI],
      ['cat (silent start)', 'cat']
    ] as const) {
      const times: number[] = []
      for (let i = 0; i < SPAWNS; i++) {
        const name = `${cli === 'cat' ? 'cat' : 'echo'}-${i}`
        const t0 = performance.now()
        await broker.spawnAgent(name, cli)
        await events.waitKind('worker_ready', name, 30_000)
        times.push(performance.now() - t0)
      }
      times.sort((a, b) => a - b)
      rows.push({ figure: `spawn → worker_ready p50, ${label}`, value: percentile(times, 50), unit: 'ms', budget: cli === 'cat' ? 2_000 : 1_000 })
    }

    // send → delivery_verified, one at a time (latency, no queueing)
    const lat: number[] = []
    for (let i = 0; i < SENDS; i++) {
      const t0 = performance.now()
      const res = await broker.api('POST', '/api/send', { to: 'cat-0', text: `latency probe ${i}` })
      const id = res.body.deliveries[0].delivery_id
      await events.waitFor((e) => (e.kind === 'delivery_verified' || e.kind === 'delivery_failed') && e.delivery_id === id, 30_000)
      lat.push(performance.now() - t0)
    }
    lat.sort((a, b) => a - b)
    const failed = events.all.filter((e) => e.kind === 'delivery_failed').length
    rows.push({ figure: `send → delivery_verified p50 (${SENDS} sends, cat)`, value: percentile(lat, 50), unit: 'ms', budget: 100 })
    rows.push({ figure: `send → delivery_verified p99 (${SENDS} sends, cat)`, value: percentile(lat, 99), unit: 'ms', budget: 500 })

    // burst: all sends at once to one agent
    const t0 = performance.now()
    const ids = await Promise.all(
      Array.from({ length: SENDS }, (_, i) =>
        broker.api('POST', '/api/send', { to: 'cat-1', text: `burst ${i}` }).then((r) => String(r.body.deliveries[0].delivery_id))
      )
    )
    const wanted = new Set(ids)
    await events.waitCount((e) => (e.kind === 'delivery_verified' || e.kind === 'delivery_failed') && wanted.has(String(e.delivery_id)), SENDS, 120_000)
    const burstMs = performance.now() - t0
    rows.push({ figure: `burst of ${SENDS} to one agent, verified per second`, value: (SENDS / burstMs) * 1000, unit: 'msg/s', budget: 50 })

    // memory
    const agents = (await broker.api('GET', '/api/spawned')).body.agents as { pid: number }[]
    const childRss = agents.map((a) => rssBytes(a.pid)).filter((n) => n > 0)
    rows.push({ figure: 'supervisor RSS', value: rssBytes(broker.proc.pid!) / 2 ** 20, unit: 'MiB', budget: 150 })
    rows.push({
      figure: `RSS per broker pty child (mean of ${childRss.length})`,
      value: childRss.reduce((a, b) => a + b, 0) / Math.max(1, childRss.length) / 2 ** 20,
      unit: 'MiB',
      budget: 80
    })
    rows.push({ figure: 'deliveries failed during bench', value: failed, unit: 'count', budget: 1 })
  } finally {
    clearInterval(renew)
    events.close()
    await broker.stop()
  }

  const header = ['figure', 'measured', 'budget', 'ratio']
  const lines = rows.map((r) => {
    // For throughput, higher is better: ratio is budget / measured so that < 1 is always good.
    const ratio = r.unit === 'msg/s' ? r.budget / r.value : r.value / r.budget
    return [r.figure, `${r.value.toFixed(1)} ${r.unit}`, `${r.budget} ${r.unit}`, ratio.toFixed(2)]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const fmt = (cols: string[]) => '| ' + cols.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |'
  console.log(fmt(header))
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|')
  for (const l of lines) console.log(fmt(l))
  console.log('\nratio = measured / budget (throughput: budget / measured); below 1.00 is within budget.')

  await runIsolationBench()
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
