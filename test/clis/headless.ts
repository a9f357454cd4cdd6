/**
 * The headless checks of `npm run test:clis` (run.ts) for a CLI with a headless provider
 * (`transport: "headless"`, docs/clis.md "Headless providers"): ready, a DM verified by the provider
 * and received once, a second turn, an MCP tool call → verified DM to another agent, the relay MCP
 * tools offered (the provider's child starts in its spawn folder, PWD included, and reads the wiring
 * the broker wrote there; claude names them only through its tool search), release leaves nothing.
 * Not a test file.
 */
import { ECHO_CLI } from '../e2e/harness.js'
import { agentPids, rand, RELEASE_SETTLE_MS, secs, setUpRun, sleep, type CheckResult, type Ctx } from './checks.js'
import type { CliPin } from './setups.js'

const READY_WAIT_MS = 60_000
/** Every headless check for one CLI; never throws (a broken step is a failed row). */
export async function runHeadless(pin: CliPin, bin: string, ctx: Ctx): Promise<CheckResult[]> {
  const { results, run, cwd, env, agent, peer, step } = setUpRun(pin, ctx, `${pin.name}-hl`, 'headless: ')

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

    await step('MCP tool call → verified DM to another agent', async () => {
      const t = await run.toolCall(agent, peer)
      return { check: 'MCP tool call → verified DM to another agent', ok: t.ok, detail: t.detail }
    })

    await step('relay MCP tools offered', async () => run.toolsOffered(spawnedAtMs))
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
