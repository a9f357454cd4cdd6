/**
 * Spawn-storm bench: BENCH_STORM (default 50) spawns at once while a probe asks `/health` every
 * 50 ms. Prints the worst and p99 `/health` latency during the storm and the time until every
 * agent is ready. Run alone: `node dist/test/bench/spawn-storm.js`; `npm run bench` runs it too.
 */
import { ECHO_CLI, TestBroker } from '../e2e/harness.js'

const STORM = Number(process.env.BENCH_STORM ?? 50)
const PROBE_EVERY_MS = 50

export async function runSpawnStormBench(): Promise<void> {
  const broker = await new TestBroker().ready()
  const events = broker.events()
  try {
    await events.opened
    const health: number[] = []
    let storming = true
    const probe = (async () => {
      while (storming) {
        const t0 = performance.now()
        await broker.api('GET', '/health')
        health.push(performance.now() - t0)
        await new Promise((r) => setTimeout(r, PROBE_EVERY_MS))
      }
    })()
    const names = Array.from({ length: STORM }, (_, i) => `storm-${i}`)
    const t0 = performance.now()
    const answers = await Promise.all(names.map((name) => broker.api('POST', '/api/spawn', { name, cli: ECHO_CLI })))
    const answeredMs = performance.now() - t0
    await events.waitCount((e) => e.kind === 'worker_ready' && names.includes(String(e.name)), STORM, 300_000)
    const readyMs = performance.now() - t0
    storming = false
    await probe
    health.sort((a, b) => a - b)
    const p99 = health[Math.min(health.length - 1, Math.floor(0.99 * health.length))] ?? NaN
    console.log(`\nSpawn storm (${STORM} spawns at once, /health probed every ${PROBE_EVERY_MS} ms)`)
    console.log(`| figure | measured |`)
    console.log(`|---|---|`)
    console.log(`| spawns answered 200 | ${answers.filter((r) => r.status === 200).length} of ${STORM} |`)
    console.log(`| all spawns answered | ${answeredMs.toFixed(0)} ms |`)
    console.log(`| all agents ready | ${readyMs.toFixed(0)} ms |`)
    console.log(`| /health worst latency during the storm | ${health.at(-1)?.toFixed(1)} ms (${health.length} probes) |`)
    console.log(`| /health p99 latency during the storm | ${p99.toFixed(1)} ms |`)
  } finally {
    events.close()
    await broker.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runSpawnStormBench().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
