/**
 * Start-up on a state dir whose previous supervisor died (or handed over): its children that are
 * still alive wait on their adoption sockets (src/child/worker-link.ts). Each one the PID
 * journal names — verified by its start time, with an adoption socket and secret, and belonging
 * to an agent recorded in `state.json` — is connected to and adopted (AgentLifecycle.adopt).
 * Everything else (dead, unknown agent, second child of one agent, refused, silent) is reaped as
 * before (orphans.ts), and those agents are respawned by the caller.
 */
import type { Socket } from 'node:net'
import type { Logger } from 'pino'

/** What adopting the survivors needs: where the PID journal is, and the lifecycle that takes them back. */
export interface AdoptionHost<P extends { name: string }> {
  readonly config: { readonly paths: { readonly pids: string } }
  readonly lifecycle: {
    /** Takes back the agent `p` whose child answers on `socket`; false when it refused or went silent. */
    adopt(p: P, e: PidEntry, socket: Socket): Promise<boolean>
    /** The PID journal, rewritten once adoption is over. */
    readonly journal: { write(): Promise<void> }
  }
}
import { adoptTargetOf, connectAdoption } from './process.js'
import { readPidJournal, type PidEntry } from '../process/pid-journal.js'
import { isSameProcessAlive } from '../process/proc.js'
import { reapEntries, type ReapResult } from '../process/orphans.js'

export interface AdoptionResult {
  adopted: string[]
  reaped: ReapResult
}

function adoptable(e: PidEntry): boolean {
  return Boolean(e.adopt_socket && e.adopt_secret) && e.worker_start_ticks !== null && isSameProcessAlive(e.worker_pid, e.worker_start_ticks)
}

export async function adoptSurvivors<P extends { name: string }>(rt: AdoptionHost<P>, previous: readonly P[], log: Logger): Promise<AdoptionResult> {
  const entries = readPidJournal(rt.config.paths.pids)
  const byName = new Map(previous.map((p) => [p.name, p]))
  // One child per agent: the newest live adoptable one; every other entry is reaped.
  const chosen = new Map<string, PidEntry>()
  for (const e of entries) {
    if (!byName.has(e.agent) || !adoptable(e)) continue
    const cur = chosen.get(e.agent)
    if (!cur || e.started_at > cur.started_at) chosen.set(e.agent, e)
  }
  const picked = new Set(chosen.values())
  const rest = entries.filter((e) => !picked.has(e))
  const first = await reapEntries(rest, log)

  const failed: PidEntry[] = []
  const adopted: string[] = []
  await Promise.all(
    [...chosen.values()].map(async (e) => {
      const socket = await connectAdoption(adoptTargetOf(e))
      const ok = socket !== null && (await rt.lifecycle.adopt(byName.get(e.agent)!, e, socket))
      if (ok) adopted.push(e.agent)
      else failed.push(e)
    })
  )
  const second = await reapEntries(failed, log)
  // The journal on disk now names exactly this run's children (an empty journal stays as it was:
  // nothing to remove, and start-up saves two fsyncs before the API line).
  if (entries.length > 0) await rt.lifecycle.journal.write()
  return {
    adopted,
    reaped: {
      entries: first.entries + second.entries,
      killed: first.killed + second.killed,
      survivors: [...first.survivors, ...second.survivors]
    }
  }
}
