/**
 * Search over 1 M messages: the history is written in the state dir first (as a broker that has
 * carried 1 M messages leaves it), then a broker on it is measured twice with the same load —
 * sequential sends to an idle `cat` agent — once alone and once with concurrent searches running.
 * Figures: the supervisor's loop delay p99 in each phase, search latency (a rare term: every
 * segment scanned; a common term: the newest 50), the figure with the scan on the loop for scale.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TestBroker } from '../e2e/harness.js'
import { HistoryLog } from '../../src/history/log.js'
import { buildQuery, matches, type HistoryRecord } from '../../src/history/query.js'
import { percentile, type Row } from './table.js'
import { readFileSync } from 'node:fs'

const MESSAGES = Number(process.env.BENCH_SEARCH_MESSAGES ?? 1_000_000)
const PHASE_MS = Number(process.env.BENCH_SEARCH_PHASE_MS ?? 10_000)
const SEARCHERS = 2
/** One message in this many carries the rare marker. */
const RARE_EVERY = 100_000
const RARE = 'quokkaflux'

/** A deterministic vocabulary of pseudo-words, and bodies of 6–25 of them. */
function* messages(n: number): Generator<HistoryRecord> {
  let x = 0x2545f491
  const rand = () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
  const syll = ['ka', 'lo', 'mi', 'nu', 're', 'sa', 'ti', 'vo', 'de', 'pa', 'zu', 'ch', 'bel', 'tor', 'an', 'ex']
  const vocab = Array.from({ length: 4000 }, () => Array.from({ length: 2 + Math.floor(rand() * 3) }, () => syll[Math.floor(rand() * syll.length)]).join(''))
  vocab.push('deploy', 'build', 'tests', 'green', 'review', 'merge', 'ship')
  const agents = Array.from({ length: 50 }, (_, i) => `agent-${i}`)
  const t0 = Date.now() - n * 100
  for (let i = 1; i <= n; i++) {
    const words = Array.from({ length: 6 + Math.floor(rand() * 20) }, () => vocab[Math.floor(rand() * vocab.length)])
    if (i % RARE_EVERY === 0) words.splice(3, 0, RARE)
    const from = agents[Math.floor(rand() * agents.length)]!
    const channel = rand() < 0.3
    const to = channel ? `#ch-${Math.floor(rand() * 5)}` : agents[Math.floor(rand() * agents.length)]!
    yield { seq: i, event_id: `http_${i.toString(16).padStart(12, '0')}`, from, to, body: words.join(' '), thread_id: null, at: t0 + i * 100, recipients: channel ? agents.slice(0, 10) : [to] }
  }
}

async function writeHistory(dir: string): Promise<number> {
  const log = new HistoryLog(join(dir, 'history'))
  let k = 0
  for (const rec of messages(MESSAGES)) {
    log.append(rec)
    if (++k % 20_000 === 0) await log.flushed()
  }
  await log.close()
  return log.segments().reduce((a, s) => a + s.bytes, 0)
}

interface Phase {
  loopP99: number
  loopMax: number
  sends: number
}

export async function runSearchBench(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-search-'))
  const bytes = await writeHistory(dir)
  const broker = await new TestBroker({ stateDir: dir }).ready()
  const events = broker.events()
  await events.opened
  try {
    await broker.spawnAgent('probe', 'cat')
    await events.waitKind('worker_ready', 'probe', 30_000)
    const sendLoop = async (until: number): Promise<number> => {
      let n = 0
      while (performance.now() < until) {
        const res = await broker.api('POST', '/api/send', { to: 'probe', text: `loop probe ${n}` })
        const id = res.body.deliveries[0].delivery_id
        await events.waitFor((e) => (e.kind === 'delivery_verified' || e.kind === 'delivery_failed') && e.delivery_id === id, 30_000)
        n++
      }
      return n
    }
    const phase = async (withSearches: boolean, rare: number[], common: number[]): Promise<Phase> => {
      // warm the pool (its threads start on first use) outside the measured window
      await broker.api('GET', `/api/messages/search?q=${RARE}&limit=1`)
      await broker.api('POST', '/api/metrics/reset')
      const until = performance.now() + PHASE_MS
      const searcher = async (k: number) => {
        let i = k
        while (performance.now() < until) {
          const common_ = i++ % 2 === 1
          const t0 = performance.now()
          const res = await broker.api('GET', common_ ? '/api/messages/search?q=deploy&limit=50' : `/api/messages/search?q=${RARE}&limit=50`)
          if (res.status !== 200) throw new Error(`search: ${res.status} ${res.text}`)
          ;(common_ ? common : rare).push(performance.now() - t0)
        }
      }
      const [sends] = await Promise.all([sendLoop(until), ...(withSearches ? Array.from({ length: SEARCHERS }, (_, k) => searcher(k)) : [])])
      const loop = (await broker.api('GET', '/api/metrics')).body.broker.event_loop_delay_ms
      return { loopP99: loop.p99, loopMax: loop.max, sends: sends as number }
    }
    const rare: number[] = []
    const common: number[] = []
    const alone = await phase(false, [], [])
    const busy = await phase(true, rare, common)
    const check = (await broker.api('GET', `/api/messages/search?q=${RARE}&limit=500`)).body
    if (check.count !== Math.floor(MESSAGES / RARE_EVERY)) throw new Error(`rare term: ${check.count} hits, expected ${Math.floor(MESSAGES / RARE_EVERY)}`)

    // For scale: the same full scan of one segment on this thread (what the loop would suffer per segment).
    const seg = join(dir, 'history', 'messages-000001.jsonl')
    const q = buildQuery({ q: RARE })
    const s0 = performance.now()
    const text = readFileSync(seg, 'utf8')
    let hits = 0
    for (const line of text.split('\n')) if (line && matches(JSON.parse(line) as HistoryRecord, q, null)) hits++
    const onLoopSegMs = performance.now() - s0
    const segments = check.segments_total as number

    const mib = bytes / 2 ** 20
    return [
      { figure: `loop delay p99, sends to an idle agent, ${(MESSAGES / 1e6).toFixed(1)} M messages on disk (${mib.toFixed(0)} MiB, ${segments} segments), no search`, value: alone.loopP99, unit: 'ms', floor: null, target: '', pass: null },
      {
        figure: `    … same, with ${SEARCHERS} clients searching back to back (max ${busy.loopMax} ms; ${busy.sends} vs ${alone.sends} sends done)`,
        value: busy.loopP99,
        unit: 'ms',
        floor: alone.loopP99,
        floorNote: '(no search)',
        target: '≤ floor + 5 ms',
        pass: busy.loopP99 <= alone.loopP99 + 5
      },
      { figure: `search latency p50, rare term (all ${segments} segments scanned, ${rare.length} searches)`, value: percentile(rare, 50), unit: 'ms', floor: null, target: '', pass: null },
      { figure: `search latency p50, a common term, newest 50 (${common.length} searches)`, value: percentile(common, 50), unit: 'ms', floor: null, target: '', pass: null },
      { figure: `    … for scale: one segment scanned line by line on the bench's own thread (${hits} hits)`, value: onLoopSegMs, unit: 'ms', floor: null, target: '', pass: null }
    ]
  } finally {
    events.close()
    await broker.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
