/**
 * The headless checks of `npm run test:clis` (run.ts) for a CLI with a headless provider
 * (`transport: "headless"`, docs/clis.md "Headless providers"): ready, a DM verified by the provider
 * and received once, the relay MCP tools offered (the provider's child starts in its spawn folder,
 * PWD included, and reads the wiring the broker wrote there), an MCP tool call → verified DM to
 * another agent, release leaves nothing. Not a test file.
 */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI } from '../e2e/harness.js'
import { agentPids, CliRun, type CheckResult, type Ctx } from './checks.js'
import { configure, type CliPin } from './setups.js'

const READY_WAIT_MS = 60_000
const TOOL_WAIT_MS = 90_000
const RESULT_WAIT_MS = 20_000
const RELEASE_SETTLE_MS = 1_500
const DM_RESULT = /delivery_id|del_[0-9a-f]{8}/
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`
const rand = (): string => Math.random().toString(36).slice(2, 8)

/** Every headless check for one CLI; never throws (a broken step is a failed row). */
export async function runHeadless(pin: CliPin, bin: string, ctx: Ctx): Promise<CheckResult[]> {
  const results: CheckResult[] = []
  const tag = `${pin.name}-hl`
  const run = new CliRun(ctx, tag)
  const root = mkdtempSync(join(tmpdir(), `clis-${tag}-`))
  const cwd = join(root, 'project')
  mkdirSync(cwd)
  const env = configure(pin.name, join(root, 'home'), ctx.models.url, false)
  const agent = `${tag}-a`
  const peer = `${tag}-peer`
  const step = async (check: string, fn: () => Promise<CheckResult>): Promise<void> => {
    const name = `headless: ${check}`
    try {
      const r = await fn()
      results.push({ ...r, check: name })
      process.stderr.write(`${r.ok === null ? 'n/a ' : r.ok ? 'pass' : 'FAIL'} ${name}: ${r.detail}\n`)
    } catch (err) {
      results.push({ check: name, ok: false, detail: `error: ${(err as Error).message}` })
      process.stderr.write(`FAIL ${name}: ${(err as Error).message}\n`)
    }
  }

  await ctx.broker.spawnAgent(peer, ECHO_CLI)
  const spawnedAtMs = Date.now()
  let ready = false
  await step('ready', async () => {
    const t0 = Date.now()
    await ctx.broker.spawnAgent(agent, bin, { cwd, env, runtime: 'headless' })
    const e = await ctx.events
      .waitFor((x) => (x.kind === 'worker_ready' || x.kind === 'agent_exited') && x.name === agent, READY_WAIT_MS, 'ready')
      .catch(() => null)
    ready = e?.kind === 'worker_ready'
    return { check: 'ready', ok: ready, detail: `${e ? e.kind : 'nothing'} after ${secs(Date.now() - t0)}` }
  })
  if (ready) {
    const m1 = `HL1${rand()}`
    await step('DM verified, received once', () => run.message('DM verified, received once', agent, `please answer ${m1}`, m1))
    const m2 = `HL2${rand()}`
    await step('second turn in the same session', () => run.message('second turn in the same session', agent, `and now ${m2}`, m2))

    await step('relay MCP tools offered', async () => {
      // Listed among the turn's tools, or handed over by a tool search (claude defers MCP tools).
      const turns = ctx.models.recorded.filter((r) => r.agentTurn && r.atMs >= spawnedAtMs)
      const first = turns.findIndex((r) => r.tools.some((t) => /message_dm_send/.test(t)) || /message_dm_send/.test(r.resultText))
      const names = first === -1 ? [] : turns[first]!.tools.filter((t) => /message_dm_send/.test(t))
      return { check: 'relay MCP tools offered', ok: first !== -1, detail: first === -1 ? `in none of ${turns.length} turns` : `${names.join(', ') || 'by tool search'} (turn ${first + 1} of ${turns.length})` }
    })

    await step('MCP tool call → verified DM to another agent', async () => {
      const m = `HLTOOL${rand()}`
      const before = ctx.events.all.length
      const t0 = Date.now()
      const id = await run.send(agent, `TOOLCALL to=${peer} text=${m}`)
      const verified = await ctx.events
        .waitFor((x) => x.kind === 'delivery_verified' && x.name === peer && ctx.events.all.indexOf(x) >= before, TOOL_WAIT_MS, 'peer delivery')
        .catch(() => null)
      const deadline = Date.now() + RESULT_WAIT_MS
      const returned = (): boolean => ctx.models.recorded.some((r) => r.toolResult && r.atMs >= t0 && DM_RESULT.test(r.resultText))
      while (!returned() && Date.now() < deadline) await sleep(100)
      const own = await run.outcome(id, t0)
      return {
        check: 'MCP tool call → verified DM to another agent',
        ok: verified !== null && returned() && own.kind === 'verified',
        detail: `${verified ? `peer delivery verified after ${secs(Date.now() - t0)}` : 'no verified delivery to the peer'}; tool result ${returned() ? 'returned to the model' : 'never returned'}; the turn ${own.kind}`
      }
    })
  }

  await step('release leaves nothing', async () => {
    const before = agentPids(agent)
    const res = await ctx.broker.api('DELETE', `/api/spawned/${agent}`)
    await sleep(RELEASE_SETTLE_MS)
    const left = agentPids(agent)
    return { check: 'release leaves nothing', ok: res.status === 200 && before.length > 0 && left.length === 0, detail: `${before.length} processes before, ${left.length} after (HTTP ${res.status})` }
  })
  await ctx.broker.api('DELETE', `/api/spawned/${peer}`)
  return results
}
