/** Hand exploration (not run by any script): one CLI under the broker; sends argv messages, prints snapshots. */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TestBroker } from '../e2e/harness.js'
import { FakeModels } from './fake-models.js'
import { configure, PINS } from './setups.js'

const [cliName, ...steps] = process.argv.slice(2)
const pin = PINS.find((p) => p.name === cliName)!
const cache = join(process.env.HOME!, '.cache/relay-broker/clis/node_modules/.bin')
const models = await new FakeModels().start()
const broker = await new TestBroker().ready()
const ev = broker.events()
await ev.opened
const root = mkdtempSync(join(tmpdir(), 'explore-'))
const env = configure(pin.name, join(root, 'home'), models.url, process.env.WALL === '1')
mkdirSync(join(root, 'p'))
const t0 = Date.now()
await broker.spawnAgent('x', join(cache, pin.bin), { cwd: join(root, 'p'), env, ...(process.env.HEADLESS === '1' ? { runtime: 'headless' } : {}) })
const snap = async (label: string) => {
  const r = await broker.api('GET', '/api/spawned/x/snapshot?format=plain')
  console.log(`----- ${label} @${Date.now() - t0}ms cursor ${JSON.stringify(r.body?.cursor)}\n${r.body?.screen ?? r.text}`)
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
for (const s of steps) {
  if (s.startsWith('wait:')) await sleep(Number(s.slice(5)))
  else if (s.startsWith('snap:')) await snap(s.slice(5))
  else if (s === 'ready') { await ev.waitKind('worker_ready', 'x', 90_000).catch(() => null); console.log(`ready @${Date.now() - t0}`) }
  else if (s.startsWith('send:')) { const r = await broker.api('POST', '/api/send', { to: 'x', text: s.slice(5).replace(/\\n/g, '\n'), from: 'boss' }); console.log('sent', r.body?.deliveries?.[0]?.delivery_id) }
  else if (s.startsWith('input:')) console.log('input', (await broker.api('POST', '/api/input/x', { data: s.slice(6).replace(/\\r/g, '\r').replace(/\\n/g, '\n').replace(/\\e/g, '\x1b') })).status)
}
const log = (await import('node:fs')).readFileSync(join(broker.stateDir, 'logs/x.log'), 'utf8')
console.log(log.split('\n').filter((l) => /Enter|deliver/.test(l)).map((l) => l.slice(0, 300)).join('\n'))
console.log(ev.all.filter((e) => /delivery_(injected|verified|failed)|auto_answered|blocked|worker_ready/.test(e.kind)).map((e) => `${e.kind} ${e.reason ?? e.rule ?? ''}`).join('\n'))
console.log(models.recorded.map((r) => `${r.api} agent=${r.agentTurn} tr=${r.toolResult} ${r.userText.slice(-80).replace(/\n/g, ' ')}`).join('\n'))
ev.close(); await broker.stop(); await models.stop(); process.exit(0)
