/**
 * The soak: agents running the echo fixture (which logs every line it receives), a stream of
 * DMs and channel posts, a random `broker pty` child SIGKILLed every few seconds, and the
 * supervisor itself SIGKILLed and restarted on the same state dir. At the end every accepted
 * delivery must have a terminal stage (verified, failed or dead_lettered, with a reason), no
 * line may have been typed into an agent twice, and nothing may be verified that the agent
 * never received.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, TestBroker, readJsonLines } from '../e2e/harness.js'

export interface SoakOptions {
  agents: number
  messages: number
  /** Time over which the messages are sent. */
  sendMs: number
  /** A random child is SIGKILLed this often (0: never). */
  killEveryMs: number
  /** Supervisor SIGKILL + restart this many times, spread over the send period. */
  supervisorRestarts: number
  /** How long to wait at the end for every delivery to finish. */
  drainMs: number
  log?: (line: string) => void
}

export interface SoakResult {
  accepted: number
  byStage: Record<string, number>
  lost: number
  duplicates: number
  phantomVerified: number
  /** Deliveries that ended `failed` with no child kill of their agent while they were open: a supervisor death did it. */
  failedBySupervisor: number
  acceptToVerifiedP50Ms: number
  acceptToVerifiedP99Ms: number
  childKills: number
  supervisorRestarts: number
  elapsedMs: number
  reasons: Record<string, number>
}

const CHANNELS = ['#alpha', '#beta', '#gamma']

function channelsOf(i: number): string[] {
  return CHANNELS.filter((_, c) => (i + c) % 3 !== 2)
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? (() => {})
  const dir = mkdtempSync(join(tmpdir(), 'relay-soak-'))
  const fixtureLog = join(dir, 'fixture.jsonl')
  const env = { FIXTURE_LOG: fixtureLog }
  const start = Date.now()
  let broker = await new TestBroker({ stateDir: dir, env, args: ['--persist'] }).ready()
  const names = Array.from({ length: opts.agents }, (_, i) => `soak-${i}`)
  for (const [i, name] of names.entries()) {
    await broker.spawnAgent(name, ECHO_CLI, {
      channels: channelsOf(i),
      restart_policy: { enabled: true, max_restarts: 1000, cooldown_ms: 100, max_consecutive_failures: 1000 }
    })
  }

  const accepted = new Map<string, { agent: string; event_id: string }>()
  let childKills = 0
  /** When each agent's child was SIGKILLed by the chaos loop. */
  const killsOf = new Map<string, number[]>()
  let restarts = 0
  let stop = false

  // Chaos: a random child every killEveryMs.
  const chaos = (async () => {
    while (!stop && opts.killEveryMs > 0) {
      await sleep(opts.killEveryMs)
      if (stop) break
      try {
        const list = await broker.api('GET', '/api/spawned')
        const live = (list.body?.agents ?? []).filter((a: any) => a.pid > 0)
        const victim = live[Math.floor(Math.random() * live.length)]
        if (victim) {
          process.kill(victim.pid, 'SIGKILL')
          childKills++
          killsOf.set(victim.name, [...(killsOf.get(victim.name) ?? []), Date.now()])
          log(`killed child of ${victim.name} (pid ${victim.pid})`)
        }
      } catch {
        // the supervisor may be restarting
      }
    }
  })()

  // Sends: spread evenly; a send interrupted by a supervisor restart is retried with its key.
  const restartAt = new Set(Array.from({ length: opts.supervisorRestarts }, (_, k) => Math.floor(((k + 1) * opts.messages) / (opts.supervisorRestarts + 1))))
  const gapMs = opts.sendMs / opts.messages
  for (let m = 0; m < opts.messages; m++) {
    if (restartAt.has(m)) {
      log(`SIGKILL supervisor at message ${m}`)
      broker.proc.kill('SIGKILL')
      await broker.exited
      broker = await new TestBroker({ stateDir: dir, env, args: ['--persist'] }).ready()
      restarts++
    }
    const dm = Math.random() < 0.6
    const to = dm ? names[Math.floor(Math.random() * names.length)]! : CHANNELS[m % CHANNELS.length]!
    const body = { to, text: `soak message ${m}`, from: 'human:soak', idempotency_key: `soak-${m}` }
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await broker.api('POST', '/api/send', body)
        if (res.status === 200) {
          for (const d of res.body.deliveries) accepted.set(d.delivery_id, { agent: d.name, event_id: res.body.event_id })
        } else if (res.status !== 404) {
          throw new Error(`send ${m}: ${res.status} ${res.text}`)
        }
        break
      } catch (err) {
        if (attempt > 50) throw err
        await sleep(100)
      }
    }
    await sleep(gapMs)
  }
  stop = true
  await chaos

  // Drain: every accepted delivery must reach a terminal stage.
  const terminal = new Set(['verified', 'failed', 'dead_lettered'])
  const records = new Map<string, any>()
  const deadline = Date.now() + opts.drainMs
  for (;;) {
    for (const id of accepted.keys()) {
      if (records.has(id) && terminal.has(records.get(id).stage)) continue
      const r = await broker.api('GET', `/api/deliveries/${id}`)
      if (r.status === 200) records.set(id, r.body)
    }
    const open = [...accepted.keys()].filter((id) => !terminal.has(records.get(id)?.stage))
    if (open.length === 0 || Date.now() > deadline) break
    log(`waiting for ${open.length} deliveries`)
    await sleep(1_000)
  }
  await broker.stop()

  const byStage: Record<string, number> = {}
  const reasons: Record<string, number> = {}
  const latencies: number[] = []
  let lost = 0
  for (const id of accepted.keys()) {
    const r = records.get(id)
    const stage = r?.stage ?? 'missing'
    byStage[stage] = (byStage[stage] ?? 0) + 1
    if (!terminal.has(stage) || (stage !== 'verified' && !r.reason)) lost++
    if (stage !== 'verified' && r?.reason) {
      const key = String(r.reason).replace(/\d+/g, 'N').slice(0, 80)
      reasons[key] = (reasons[key] ?? 0) + 1
    }
    if (stage === 'verified') {
      const acc = Date.parse(r.history[0].at)
      const ver = Date.parse(r.history.at(-1).at)
      latencies.push(ver - acc)
    }
  }
  // What the agents themselves received: (agent, event) typed twice is a duplicate.
  const seen = new Map<string, number>()
  for (const l of readJsonLines(fixtureLog)) {
    const ev = /\/ (http_[0-9a-f]{32})\]/.exec(l.line)?.[1]
    if (!ev) continue
    const key = `${l.agent} ${ev}`
    seen.set(key, (seen.get(key) ?? 0) + 1)
  }
  const duplicates = [...seen.values()].filter((n) => n > 1).length
  // A failure with no chaos kill of the agent's child between acceptance and failure (plus a
  // second of slack for the kill to be noticed) can only come from a supervisor death.
  let failedBySupervisor = 0
  for (const [id, d] of accepted) {
    const r = records.get(id)
    if (r?.stage !== 'failed') continue
    const from = Date.parse(r.history[0].at) - 1_000
    const to = Date.parse(r.history.at(-1).at) + 1_000
    if (!(killsOf.get(d.agent) ?? []).some((t) => t >= from && t <= to)) failedBySupervisor++
  }
  let phantomVerified = 0
  for (const [id, d] of accepted) if (records.get(id)?.stage === 'verified' && !seen.has(`${d.agent} ${d.event_id}`)) phantomVerified++
  latencies.sort((a, b) => a - b)
  return {
    accepted: accepted.size,
    byStage,
    lost,
    duplicates,
    phantomVerified,
    failedBySupervisor,
    acceptToVerifiedP50Ms: percentile(latencies, 50),
    acceptToVerifiedP99Ms: percentile(latencies, 99),
    childKills,
    supervisorRestarts: restarts,
    elapsedMs: Date.now() - start,
    reasons
  }
}

export function formatSoak(r: SoakResult): string {
  const rows: [string, string][] = [
    ['deliveries accepted', String(r.accepted)],
    ...Object.entries(r.byStage).map(([k, v]) => [`  ended ${k}`, String(v)] as [string, string]),
    ['lost (accepted, no terminal stage or no reason)', String(r.lost)],
    ['typed twice (from the agents own logs)', String(r.duplicates)],
    ['verified, but the program was killed before reading it', String(r.phantomVerified)],
    ['failed because a supervisor died (no child kill of that agent meanwhile)', String(r.failedBySupervisor)],
    ['accept → verified p50', `${r.acceptToVerifiedP50Ms} ms`],
    ['accept → verified p99', `${r.acceptToVerifiedP99Ms} ms`],
    ['child SIGKILLs', String(r.childKills)],
    ['supervisor SIGKILL + restart', String(r.supervisorRestarts)],
    ['elapsed', `${(r.elapsedMs / 1000).toFixed(1)} s`],
    ...Object.entries(r.reasons).map(([k, v]) => [`  reason: ${k}`, String(v)] as [string, string])
  ]
  const w = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v.padStart(8)} |`).join('\n')
}
