/**
 * The per-CLI checks of `npm run test:clis` (run.ts), through the broker's API and /ws events,
 * with what the fake model received as the other witness. Not a test file.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, type BrokerEventJson, type EventLog, type TestBroker } from '../e2e/harness.js'
import { SLOW_REPLY_MS, type FakeModels } from './fake-models.js'
import { configure, type CliPin } from './setups.js'
import { CLI_CATALOG } from '../../src/catalog/clis.js'

export interface CheckResult {
  check: string
  /** null: not applicable to this CLI. */
  ok: boolean | null
  detail: string
}

export interface Ctx {
  broker: TestBroker
  events: EventLog
  models: FakeModels
}

const READY_WAIT_MS = 90_000
const OUTCOME_WAIT_MS = 60_000
const RECEIVED_WAIT_MS = 20_000
/** After the first sighting, how long to keep watching for a second copy reaching the model. */
const DUPLICATE_WATCH_MS = 2_000
const TOOL_WAIT_MS = 90_000
const WALL_WAIT_MS = 40_000
export const RELEASE_SETTLE_MS = 1_500
/** Agents of one CLI started at the same moment (the spawn-storm check). */
const TOGETHER_AGENTS = 3

/** The DM tool's result as the broker's MCP server returns it (a delivery to the peer). */
const DM_RESULT = /delivery_id|del_[0-9a-f]{8}/
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
export const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/** Pids of processes whose environment names agent `name` (the CLI, its MCP servers, their children). */
export function agentPids(name: string): number[] {
  const needle = `RELAY_AGENT_NAME=${name}\0`
  const out: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      if ((readFileSync(`/proc/${d}/environ`, 'latin1') + '\0').includes(needle)) out.push(Number(d))
    } catch {
      // gone, or not ours to read
    }
  }
  return out
}

/** A process's argv as one string (empty when it is gone). */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
  } catch {
    return ''
  }
}

interface Outcome {
  kind: 'verified' | 'failed' | 'timeout'
  reason: string
  ms: number
  injectedAtMs: number | null
}

export class CliRun {
  readonly #ctx: Ctx
  readonly tag: string
  constructor(ctx: Ctx, tag: string) {
    this.#ctx = ctx
    this.tag = tag
  }

  async send(to: string, text: string): Promise<string> {
    const res = await this.#ctx.broker.api('POST', '/api/send', { to, text, from: 'boss' })
    if (res.status !== 200) throw new Error(`send failed: ${res.status} ${res.text}`)
    return res.body.deliveries[0].delivery_id as string
  }

  async outcome(id: string, sentAtMs: number, waitMs = OUTCOME_WAIT_MS): Promise<Outcome> {
    const ev = this.#ctx.events
    try {
      const e = await ev.waitFor((x) => (x.kind === 'delivery_verified' || x.kind === 'delivery_failed' || x.kind === 'delivery_dead_lettered') && x.delivery_id === id, waitMs, `outcome of ${id}`)
      const inj = ev.all.find((x) => x.kind === 'delivery_injected' && x.delivery_id === id)
      return {
        kind: e.kind === 'delivery_verified' ? 'verified' : 'failed',
        reason: String(e.reason ?? ''),
        ms: Date.now() - sentAtMs,
        injectedAtMs: inj ? Number(inj.timestamp ?? Date.now()) : null
      }
    } catch {
      return { kind: 'timeout', reason: `no outcome within ${secs(waitMs)}`, ms: waitMs, injectedAtMs: null }
    }
  }

  /** How many agent turns carried `marker`, once they stopped coming. */
  async received(marker: string): Promise<number> {
    const deadline = Date.now() + RECEIVED_WAIT_MS
    while (this.#ctx.models.received(marker).length === 0 && Date.now() < deadline) await sleep(100)
    if (this.#ctx.models.received(marker).length > 0) await sleep(DUPLICATE_WATCH_MS)
    return this.#ctx.models.received(marker).length
  }

  async screen(name: string): Promise<string> {
    const res = await this.#ctx.broker.api('GET', `/api/spawned/${name}/snapshot?format=plain`)
    if (typeof res.body?.screen !== 'string') return res.text
    return `(cursor at row ${res.body.cursor?.[0]}, column ${res.body.cursor?.[1]})\n${res.body.screen.split('\n').map((r: string, i: number) => `${String(i).padStart(2)}|${r}`).join('\n')}`
  }

  /**
   * Whether the relay MCP tools were offered to the model in an agent turn since `sinceMs`: listed
   * among the turn's tools, among the tools a CLI defers (claude: named for its ToolSearch), or
   * handed over by a tool search.
   */
  toolsOffered(sinceMs: number): CheckResult {
    const turns = this.#ctx.models.recorded.filter((r) => r.agentTurn && r.atMs >= sinceMs)
    const first = turns.findIndex((r) => r.tools.some((t) => /message_dm_send/.test(t)) || /message_dm_send/.test(r.resultText))
    const names = first === -1 ? [] : [...new Set(turns[first]!.tools.filter((t) => /message_dm_send/.test(t)))]
    return {
      check: 'relay MCP tools offered',
      ok: first !== -1,
      detail: first === -1 ? `in none of ${turns.length} turns` : `${names.join(', ') || 'by tool search'} (turn ${first + 1} of ${turns.length})`
    }
  }

  /** Asks `agent`'s model to DM `peer` through the relay MCP tool: the peer's delivery verified, the tool's result back at the model. */
  async toolCall(agent: string, peer: string): Promise<{ ok: boolean; detail: string }> {
    const ctx = this.#ctx
    const m = `TOOL${rand()}`
    const before = ctx.events.all.length
    const t0 = Date.now()
    await this.send(agent, `TOOLCALL to=${peer} text=${m}`)
    const verified = await ctx.events
      .waitFor((x: BrokerEventJson) => x.kind === 'delivery_verified' && x.name === peer && ctx.events.all.indexOf(x) >= before, TOOL_WAIT_MS, 'peer delivery')
      .catch(() => null)
    const resultDeadline = Date.now() + RECEIVED_WAIT_MS
    while (!ctx.models.recorded.some((r) => r.toolResult && r.atMs >= t0 && DM_RESULT.test(r.resultText)) && Date.now() < resultDeadline) await sleep(100)
    const results = ctx.models.recorded.filter((r) => r.toolResult && r.atMs >= t0 && DM_RESULT.test(r.resultText))
    const toolDone = results.length > 0
    if (!verified) process.stderr.write(`--- tool results the model got: ${results.map((r) => r.resultText.slice(0, 400)).join(' || ')}\n`)
    if (!verified) process.stderr.write(`--- screen of ${agent}:\n${await this.screen(agent)}\n`)
    return {
      ok: verified !== null && toolDone,
      detail: `${verified ? `peer delivery verified after ${secs(Date.now() - t0)}` : 'no verified delivery to the peer'}; tool result ${toolDone ? 'returned to the model' : 'never returned'}`
    }
  }

  /** Sends `text` (which contains `marker`) and reports verified + received once. */
  async message(check: string, to: string, text: string, marker: string): Promise<CheckResult> {
    const t0 = Date.now()
    const id = await this.send(to, text)
    const o = await this.outcome(id, t0)
    const n = await this.received(marker)
    const ok = o.kind === 'verified' && n === 1
    if (!ok) process.stderr.write(`--- ${check} screen of ${to}:\n${await this.screen(to)}\n`)
    return { check, ok, detail: `${o.kind}${o.reason ? ` (${o.reason})` : ''} in ${o.ms} ms; model received it ${n}×` }
  }
}

export const rand = (): string => Math.random().toString(36).slice(2, 8)

/**
 * A runner of checks into `results`: each check's row and its printed line; a throw is a failed
 * row. `prefix` names a group of checks (`headless: `) in both.
 */
export function checkRunner(results: CheckResult[], prefix = ''): (check: string, fn: () => Promise<CheckResult>) => Promise<void> {
  return async (check, fn) => {
    const name = prefix + check
    try {
      const r = await fn()
      results.push(prefix ? { ...r, check: name } : r)
      process.stderr.write(`${r.ok === null ? 'n/a ' : r.ok ? 'pass' : 'FAIL'} ${name}: ${r.detail}\n`)
    } catch (err) {
      results.push({ check: name, ok: false, detail: `error: ${(err as Error).message}` })
      process.stderr.write(`FAIL ${name}: ${(err as Error).message}\n`)
    }
  }
}

/** What one run of checks starts from: its rows, names, a fresh folder with the CLI's home and project. */
export interface RunSetup {
  results: CheckResult[]
  run: CliRun
  root: string
  cwd: string
  env: Record<string, string>
  agent: string
  peer: string
  step: ReturnType<typeof checkRunner>
}

export function setUpRun(pin: CliPin, ctx: Ctx, tag: string, rowPrefix = ''): RunSetup {
  const results: CheckResult[] = []
  const root = mkdtempSync(join(tmpdir(), `clis-${tag}-`))
  const cwd = join(root, 'project')
  mkdirSync(cwd)
  // What the user configured reaches the agent through the spawn's `env` (docs/api.md); the
  // executable's basename picks the profile.
  const env = configure(pin.name, join(root, 'home'), ctx.models.url, false)
  return { results, run: new CliRun(ctx, tag), root, cwd, env, agent: `${tag}-a`, peer: `${tag}-peer`, step: checkRunner(results, rowPrefix) }
}

/** Every check for one CLI; never throws (a broken step is a failed row). */
export async function runCli(pin: CliPin, bin: string, ctx: Ctx): Promise<CheckResult[]> {
  const tag = pin.name
  const { results, run, root, cwd, env, agent, peer, step } = setUpRun(pin, ctx, tag)

  await ctx.broker.spawnAgent(peer, ECHO_CLI)
  let ready = false
  const spawnedAtMs = Date.now()
  await step('ready from the prompt', async () => {
    const t0 = Date.now()
    await ctx.broker.spawnAgent(agent, bin, { cwd, env })
    const e = await ctx.events
      .waitFor((x) => (x.kind === 'worker_ready' || x.kind === 'agent_exited' || x.kind === 'agent_permanently_dead') && x.name === agent, READY_WAIT_MS, 'ready')
      .catch(() => null)
    const answered = ctx.events.of('agent_auto_answered', agent).map((x) => x.rule)
    const blocked = ctx.events.of('agent_blocked', agent).map((x) => x.reason)
    const extra = `${answered.length ? `; answered ${answered.join(', ')}` : ''}${blocked.length ? `; blocked ${blocked.join(' / ')}` : ''}`
    if (!e || e.kind !== 'worker_ready') {
      process.stderr.write(`--- screen of ${agent}:\n${await run.screen(agent)}\n`)
      return { check: 'ready from the prompt', ok: false, detail: `${e ? e.kind : 'not ready'} after ${secs(Date.now() - t0)}${extra}` }
    }
    ready = true
    return { check: 'ready from the prompt', ok: e.reason === 'prompt', detail: `reason ${String(e.reason)} after ${secs(Date.now() - t0)}${extra}` }
  })
  if (!ready) return finish()

  const m1 = `DM1${rand()}`
  await step('DM verified, received once', () => run.message('DM verified, received once', agent, `please answer ${m1}`, m1))

  await step('busy hold', async () => {
    const slow = `SLOW${rand()}`
    const hold = `HOLD${rand()}`
    const t0 = Date.now()
    const slowId = await run.send(agent, `take your time ${slow}`)
    const deadline = Date.now() + OUTCOME_WAIT_MS
    while (ctx.models.received(slow).length === 0 && Date.now() < deadline) await sleep(50)
    const askedAt = ctx.models.received(slow)[0]?.atMs
    if (askedAt === undefined) return { check: 'busy hold', ok: false, detail: `the slow turn never reached the model (${(await run.outcome(slowId, t0, 1)).kind})` }
    const t1 = Date.now()
    const holdId = await run.send(agent, `after that ${hold}`)
    const [slowOut, holdOut] = await Promise.all([run.outcome(slowId, t0), run.outcome(holdId, t1)])
    const n = await run.received(hold)
    const heldMs = holdOut.injectedAtMs === null ? null : holdOut.injectedAtMs - askedAt
    const ok = slowOut.kind === 'verified' && holdOut.kind === 'verified' && n === 1 && heldMs !== null && heldMs >= SLOW_REPLY_MS
    return {
      check: 'busy hold',
      ok,
      detail: `typed ${heldMs === null ? 'never' : `${secs(heldMs)} after the busy turn began (turn lasts ${secs(SLOW_REPLY_MS)})`}; ${holdOut.kind}${holdOut.reason ? ` (${holdOut.reason})` : ''}; received ${n}×`
    }
  })

  await step('MCP tool call → verified DM to another agent', async () => {
    const t = await run.toolCall(agent, peer)
    return { check: 'MCP tool call → verified DM to another agent', ok: t.ok, detail: t.detail }
  })

  await step('relay MCP tools offered', async () => run.toolsOffered(spawnedAtMs))

  const m3 = `TRI${rand()}`
  await step('3-line message', () => run.message('3-line message', agent, `first line ${m3}\nsecond line\nthird line END${m3}`, `END${m3}`))

  const mL = `LONG${rand()}`
  const words: string[] = []
  let n = 0
  while (words.join(' ').length < 3000) words.push(`word${n++}`)
  await step('3000-character message', () => run.message('3000-character message', agent, `${mL} ${words.join(' ')} END${mL}`, `END${mL}`))

  await step(`${TOGETHER_AGENTS} started together, a DM each at once`, async () => {
    // A spawn storm on a small machine: slow starts, blank screens for a while. Each DM is queued
    // until its CLI is ready from its prompt, typed once, verified, and reaches the model once.
    const names = Array.from({ length: TOGETHER_AGENTS }, (_, i) => `${tag}-t${i + 1}`)
    const markers = names.map(() => `TOG${rand()}`)
    const t0 = Date.now()
    await Promise.all(
      names.map((name) => {
        const dir = join(root, name)
        mkdirSync(dir)
        return ctx.broker.spawnAgent(name, bin, { cwd: dir, env })
      })
    )
    const ids = await Promise.all(names.map((name, i) => run.send(name, `please answer ${markers[i]}`)))
    const outcomes = await Promise.all(ids.map((id) => run.outcome(id, t0, READY_WAIT_MS + OUTCOME_WAIT_MS)))
    const counts = await Promise.all(markers.map((m) => run.received(m)))
    const readies = names.map((name) => ctx.events.of('worker_ready', name)[0]?.reason ?? 'never')
    const ok = outcomes.every((o) => o.kind === 'verified') && counts.every((n) => n === 1) && readies.every((r) => r === 'prompt')
    for (const [i, name] of names.entries()) if (outcomes[i]!.kind !== 'verified' || counts[i] !== 1) process.stderr.write(`--- screen of ${name}:\n${await run.screen(name)}\n`)
    await Promise.all(names.map((name) => ctx.broker.api('DELETE', `/api/spawned/${name}`)))
    return {
      check: `${TOGETHER_AGENTS} started together, a DM each at once`,
      ok,
      detail: names.map((_, i) => `ready ${readies[i]}, ${outcomes[i]!.kind}${outcomes[i]!.reason ? ` (${outcomes[i]!.reason})` : ''}, received ${counts[i]}×`).join('; ')
    }
  })

  await step('login wall → blocked', async () => {
    const wallEnv = configure(pin.name, join(root, 'wall-home'), ctx.models.url, true)
    const wall = `${tag}-wall`
    const wallCwd = join(root, 'wall-project')
    mkdirSync(wallCwd)
    await ctx.broker.spawnAgent(wall, bin, { cwd: wallCwd, env: wallEnv, restart_policy: { enabled: false } })
    const e = await ctx.events
      .waitFor((x) => (x.kind === 'agent_blocked' || x.kind === 'worker_ready' || x.kind === 'agent_exited') && x.name === wall, WALL_WAIT_MS, 'blocked')
      .catch(() => null)
    const view = await ctx.broker.api('GET', '/api/spawned')
    const state = (view.body?.agents ?? []).find((a: any) => a.name === wall)
    if (!e || e.kind !== 'agent_blocked') process.stderr.write(`--- screen of ${wall}:\n${await run.screen(wall)}\n`)
    await ctx.broker.api('DELETE', `/api/spawned/${wall}`)
    if (pin.name === 'opencode' && (!e || e.kind === 'worker_ready' || /^not ready:/.test(String(e.reason ?? '')))) {
      return { check: 'login wall → blocked', ok: null, detail: 'opencode shows no login wall (it starts with its own free provider)' }
    }
    return {
      check: 'login wall → blocked',
      ok: e?.kind === 'agent_blocked' && state?.current_state === 'blocked',
      detail: e ? `${e.kind}${e.reason ? `: ${String(e.reason)}` : ''}; /api/spawned says ${String(state?.current_state)}` : 'nothing within the wait'
    }
  })

  await step('untrusted folder: flags and tools intact', async () => {
    // The folder was never trusted by the suite: whatever the CLI did about it (a dialog answered,
    // a workspace-trust setting), it still runs with its bypass flag and the relay MCP server.
    const flags = CLI_CATALOG[pin.name].bypass.flags
    const argvs = agentPids(agent).map(cmdline)
    const flagged = flags.length === 0 || argvs.some((a) => flags.every((f) => a.includes(f)))
    const screen = await run.screen(agent)
    const shown = pin.bypassOnScreen === undefined || pin.bypassOnScreen.test(screen)
    // The relay MCP server still works after everything before: one more tool call, now.
    const t = await run.toolCall(agent, peer)
    const answered = ctx.events.of('agent_auto_answered', agent).map((x) => x.rule)
    if (!(flagged && shown && t.ok)) process.stderr.write(`--- screen of ${agent}:\n${screen}\n`)
    return {
      check: 'untrusted folder: flags and tools intact',
      ok: flagged && shown && t.ok,
      detail: [
        answered.length ? `answered ${answered.join(', ')}` : 'no dialog',
        flags.length ? `${flags.join(' ')} ${flagged ? 'in' : 'NOT in'} the CLI's argv` : 'no bypass flag',
        pin.bypassOnScreen ? `${pin.bypassOnScreen.source} ${shown ? 'on' : 'NOT on'} screen` : null,
        `a relay MCP tool call now: ${t.detail}`
      ]
        .filter(Boolean)
        .join('; ')
    }
  })

  await step('release leaves nothing', async () => {
    const before = agentPids(agent)
    const res = await ctx.broker.api('DELETE', `/api/spawned/${agent}`)
    await sleep(RELEASE_SETTLE_MS)
    const left = agentPids(agent)
    return { check: 'release leaves nothing', ok: res.status === 200 && before.length > 0 && left.length === 0, detail: `${before.length} processes before, ${left.length} after (HTTP ${res.status})` }
  })
  return finish()

  async function finish(): Promise<CheckResult[]> {
    await ctx.broker.api('DELETE', `/api/spawned/${peer}`)
    await ctx.broker.api('DELETE', `/api/spawned/${agent}`)
    return results
  }
}
