/**
 * `npm run bench`: real brokers, real children, `cat` and the echo fixture as agents. Prints ONE
 * table: every figure with, where one applies, a floor measured in the same run (bare node, the
 * API's own reply time…), its target (issue 17's targets, the isolation targets of issue 6, our
 * own budgets for the older rows) and pass / FALLS SHORT.
 *
 * BENCH_ONLY=startup,agents,delivery,storm,search,isolation,fleet runs a subset (default: all).
 * Sizes: BENCH_SENDS, BENCH_SPAWNS, BENCH_STORM_AGENTS, BENCH_STORM_MESSAGES, BENCH_SEARCH_MESSAGES,
 * BENCH_ISO_SENDS, BENCH_FLOOD_SECS (see each file).
 */
import { ECHO_CLI, TestBroker } from '../e2e/harness.js'
import { runAgentBench } from './agents.js'
import { runIsolationBench } from './isolation.js'
import { runFleetBench } from './fleet.js'
import { runSearchBench } from './search.js'
import { runStartupBench } from './startup.js'
import { runStormBench } from './storm.js'
import { percentile, printTable, rssMiB, type Row } from './table.js'
import { runSpawnStormBench } from './spawn-storm.js'

const SENDS = Number(process.env.BENCH_SENDS ?? 200)
const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 5)
const ONLY = new Set((process.env.BENCH_ONLY ?? 'startup,agents,delivery,storm,search,isolation,fleet').split(',').map((s) => s.trim()))

/** The older rows: spawn → ready, send → verified latency, burst throughput, RSS under use. */
async function runDeliveryBench(): Promise<Row[]> {
  const broker = await new TestBroker().ready()
  const events = broker.events()
  await events.opened
  // An ephemeral broker stops when its owner stops renewing the lease (as the SDK does every 60 s).
  const renew = setInterval(() => void broker.api('POST', '/api/session/renew').catch(() => {}), 30_000)
  const rows: Row[] = []
  try {
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
      const budget = cli === 'cat' ? 2_000 : 1_000
      const v = percentile(times, 50)
      rows.push({ figure: `spawn → worker_ready p50, ${label}`, value: v, unit: 'ms', floor: null, target: `≤ ${budget} ms`, pass: v <= budget })
    }

    const lat: number[] = []
    for (let i = 0; i < SENDS; i++) {
      const t0 = performance.now()
      const res = await broker.api('POST', '/api/send', { to: 'cat-0', text: `latency probe ${i}` })
      const id = res.body.deliveries[0].delivery_id
      await events.waitFor((e) => (e.kind === 'delivery_verified' || e.kind === 'delivery_failed') && e.delivery_id === id, 30_000)
      lat.push(performance.now() - t0)
    }
    const p50 = percentile(lat, 50)
    const p99 = percentile(lat, 99)
    rows.push({ figure: `send → delivery_verified p50 (${SENDS} sequential sends, cat)`, value: p50, unit: 'ms', floor: null, target: '≤ 100 ms', pass: p50 <= 100 })
    rows.push({ figure: `send → delivery_verified p99 (${SENDS} sequential sends, cat)`, value: p99, unit: 'ms', floor: null, target: '≤ 500 ms', pass: p99 <= 500 })

    const t0 = performance.now()
    const ids = await Promise.all(
      Array.from({ length: SENDS }, (_, i) => broker.api('POST', '/api/send', { to: 'cat-1', text: `burst ${i}` }).then((r) => String(r.body.deliveries[0].delivery_id)))
    )
    const wanted = new Set(ids)
    await events.waitCount((e) => (e.kind === 'delivery_verified' || e.kind === 'delivery_failed') && wanted.has(String(e.delivery_id)), SENDS, 120_000)
    const rate = (SENDS / (performance.now() - t0)) * 1000
    rows.push({ figure: `burst of ${SENDS} to one agent, verified per second`, value: rate, unit: 'msg/s', floor: null, target: '≥ 50 msg/s', pass: rate >= 50 })

    const supRss = rssMiB(broker.proc.pid!)
    rows.push({ figure: `supervisor RSS after the above (${2 * SPAWNS} agents, ${2 * SENDS} messages)`, value: supRss, unit: 'MiB', floor: null, target: '≤ 150 MiB', pass: supRss <= 150 })
    const failed = events.all.filter((e) => e.kind === 'delivery_failed').length
    rows.push({ figure: 'deliveries failed during these rows', value: failed, unit: 'count', floor: null, target: '0', pass: failed === 0 })
  } finally {
    clearInterval(renew)
    events.close()
    await broker.stop()
  }
  return rows
}

async function main(): Promise<void> {
  const rows: Row[] = []
  const parts: [string, () => Promise<Row[]>][] = [
    ['startup', runStartupBench],
    ['agents', runAgentBench],
    ['delivery', runDeliveryBench],
    ['storm', runStormBench],
    ['search', runSearchBench],
    ['isolation', runIsolationBench],
    // Two brokers on one nats-server (needs nats-server on PATH): cross-node next to same-node.
    ['fleet', () => runFleetBench(Math.min(SENDS, 100))]
  ]
  for (const [name, run] of parts) {
    if (!ONLY.has(name)) continue
    const t0 = performance.now()
    try {
      rows.push(...(await run()))
    } catch (err) {
      rows.push({ figure: `${name}: did not complete — ${(err as Error).message.slice(0, 120)}`, value: NaN, unit: '', floor: null, target: '', pass: false })
    }
    process.stderr.write(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`)
  }
  printTable(rows)
  const short = rows.filter((r) => r.pass === false).length
  console.log(`\n${rows.filter((r) => r.pass === true).length} pass, ${short} fall short. Floors are measured in this run on this machine; MiB = 2^20 bytes.`)
  await runSpawnStormBench()
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
