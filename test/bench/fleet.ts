/**
 * Bench rows for a team of two brokers on one real nats-server: send → delivery_verified seen on the
 * sending broker, to an agent on the other node (through JetStream and back) and to an agent on the
 * same node, one send at a time.
 */
import { ECHO_CLI, TestBroker } from '../e2e/harness.js'
import { NatsServer } from '../fleet/nats-server.js'
import { percentile, type Row } from './table.js'

/** What a cross-node hop (JetStream there, stage report back) may add to the same-node figure. */
const CROSS_NODE_EXTRA_MS = 50

export async function runFleetBench(sends: number): Promise<Row[]> {
  const nats = await new NatsServer().start()
  const a = new TestBroker({ args: ['--name', 'a', '--node', 'a', '--nats', nats.url] })
  const b = new TestBroker({ args: ['--name', 'b', '--node', 'b', '--nats', nats.url] })
  const renew = setInterval(() => {
    for (const x of [a, b]) void x.api('POST', '/api/session/renew').catch(() => {})
  }, 30_000)
  try {
    await Promise.all([a.ready(), b.ready()])
    const events = a.events()
    const evB = b.events()
    await Promise.all([events.opened, evB.opened])
    await a.spawnAgent('near', 'cat')
    await b.spawnAgent('far', 'cat')
    await events.waitKind('worker_ready', 'near', 30_000)
    await evB.waitKind('worker_ready', 'far', 30_000)
    evB.close()
    for (let t = Date.now(); Date.now() - t < 10_000; ) {
      const r = await a.api('GET', '/api/agents?scope=fleet')
      if (r.body.agents.some((x: { name: string }) => x.name === 'far')) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const rows: Row[] = []
    const measure = async (to: string) => {
      const lat: number[] = []
      for (let i = 0; i < sends; i++) {
        const t0 = performance.now()
        const res = await a.api('POST', '/api/send', { to, text: `fleet probe ${i}` })
        const id = res.body.deliveries[0].delivery_id
        await events.waitFor((e) => (e.kind === 'delivery_verified' || e.kind === 'delivery_failed') && e.delivery_id === id, 30_000)
        lat.push(performance.now() - t0)
      }
      return { p50: percentile(lat, 50), p99: percentile(lat, 99) }
    }
    const near = await measure('near')
    const far = await measure('far')
    for (const [q, v, floor] of [
      ['p50', far.p50, near.p50],
      ['p99', far.p99, near.p99]
    ] as const) {
      rows.push({
        figure: `team over NATS: cross-node send → verified ${q} (${sends} sequential, cat on node b)`,
        value: v,
        unit: 'ms',
        floor,
        floorNote: `same-node ${q} in the same team`,
        target: `≤ floor + ${CROSS_NODE_EXTRA_MS} ms`,
        pass: v <= floor + CROSS_NODE_EXTRA_MS
      })
    }
    events.close()
    return rows
  } finally {
    clearInterval(renew)
    await Promise.all([a.stop(), b.stop()])
    await nats.stop()
  }
}
