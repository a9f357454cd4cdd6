/**
 * Start-up and idle memory of the supervisor against bare node, both measured here:
 * exec → the "API listening" line vs `node -e 0` exec → exit, and idle RSS vs an idle bare node.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { BROKER_BIN } from '../e2e/harness.js'
import { percentile, rssMiB, sleep, type Row } from './table.js'

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 7)
/**
 * Idle this long before RSS is read, the broker and bare node alike: V8's memory reducer gives back
 * the young generation start-up grew about 8–10 s after activity stops; read before that, the
 * figure is start-up's and not what an idle broker keeps.
 */
const IDLE_SETTLE_MS = 15_000

function bareNodeExit(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const p = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' })
    p.on('error', reject)
    p.on('exit', () => resolve(performance.now() - t0))
  })
}

async function bareNodeIdleRss(): Promise<number> {
  const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  await sleep(IDLE_SETTLE_MS)
  const rss = rssMiB(p.pid!)
  p.kill('SIGKILL')
  return rss
}

/** exec → listen line; with `idleRss`, also the supervisor's RSS once idle; `startup` from its ready line. */
async function brokerStart(idleRss: boolean): Promise<{ ms: number; rss: number; startup: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-start-'))
  const t0 = performance.now()
  const p = spawn(process.execPath, [BROKER_BIN, 'init', '--name', 'bench', '--state-dir', dir], {
    env: { ...process.env, RELAY_BROKER_API_KEY: 'br_bench', RELAY_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let startup = 'unknown'
  createInterface({ input: p.stderr! }).on('line', (l) => {
    const m = /"startup":(\{[^}]*\})/.exec(l)
    if (m) startup = Object.values(JSON.parse(m[1]!) as Record<string, string>).join(', code cache ')
  })
  const ms = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: p.stdout! })
    lines.on('line', (l) => {
      if (l.includes('API listening on')) resolve(performance.now() - t0)
    })
    p.on('exit', (code) => reject(new Error(`broker exited ${code} before listening`)))
  })
  let rss = NaN
  if (idleRss) {
    await sleep(IDLE_SETTLE_MS)
    rss = rssMiB(p.pid!)
  }
  const exited = new Promise((r) => p.once('exit', r))
  p.kill('SIGTERM')
  await exited
  rmSync(dir, { recursive: true, force: true })
  return { ms, rss, startup }
}

export async function runStartupBench(): Promise<Row[]> {
  // The build just wrote dist/ (and the bench before may have written more): a broker's start-up
  // fsyncs its lock and state files, and would wait behind that writeback. Flushed first.
  execFileSync('sync')
  const floor: number[] = []
  const start: number[] = []
  let startup = ''
  for (let i = 0; i < RUNS; i++) {
    // interleaved, so both see the same machine load
    floor.push(await bareNodeExit())
    const run = await brokerStart(false)
    start.push(run.ms)
    startup = run.startup
  }
  const f = percentile(floor, 50)
  const s = percentile(start, 50)
  const idle = await brokerStart(true)
  const bareRss = await bareNodeIdleRss()
  return [
    { figure: `exec → "API listening" line, p50 of ${RUNS} (from ${startup})`, value: s, unit: 'ms', floor: f, floorNote: '(`node -e 0`)', target: '≤ floor + 100 ms', pass: s <= f + 100 },
    { figure: `supervisor RSS, idle ${IDLE_SETTLE_MS / 1000} s (no agents)`, value: idle.rss, unit: 'MiB', floor: bareRss, floorNote: '(idle bare node)', target: '≤ 60 MiB', pass: idle.rss <= 60 }
  ]
}
