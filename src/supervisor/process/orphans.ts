/**
 * Startup reaping of a previous run's processes (docs/architecture.md, "Adoption").
 *
 * After a supervisor crash its `broker pty` children normally exit on stdin EOF and take their
 * CLI's group with them — but a child that is stopped or wedged does not, a CLI that ignores
 * SIGHUP may linger, and a CLI's own descendants may have left its group. Since children wait
 * to be adopted (src/supervisor/adoption/), only the ones that cannot be are reaped here: everything such a
 * journal entry names (by pid + start time, group, session and environment marker) is
 * terminated: SIGTERM, then SIGKILL, and we wait until it is gone. Those agents are respawned
 * from `state.json` afterwards.
 */
import type { Logger } from 'pino'
import { terminateProcesses } from '../../terminate/index.js'
import { findTree, type TreeMarks } from './proc.js'
import { readPidJournal, type PidEntry } from './pid-journal.js'
import { writeJsonAtomic } from '../state/files.js'

/** Startup reaping of a previous run's processes: SIGTERM, then SIGKILL after this. */
export const ORPHAN_KILL_AFTER_TERM_MS = 500

/** Longest wait for reaped orphans to disappear after SIGKILL. */
export const ORPHAN_GONE_WAIT_MS = 2_000

export interface ReapResult {
  /** Journal entries read. */
  entries: number
  /** Processes found alive and terminated. */
  killed: number
  /** Processes still alive after the wait (should be 0; reported, never ignored). */
  survivors: number[]
}

function marksOf(e: PidEntry): TreeMarks {
  return {
    workerPid: e.worker_pid,
    workerStartTicks: e.worker_start_ticks,
    cliPid: e.cli_pid,
    cliStartTicks: e.cli_start_ticks,
    envMarker: e.env_marker
  }
}

function findAll(entries: readonly PidEntry[]): number[] {
  const pids = new Set<number>()
  for (const e of entries) for (const pid of findTree(marksOf(e))) pids.add(pid)
  return [...pids]
}

/** Terminates every process of a previous run named in the journal, then empties the journal. */
export async function reapOrphans(journalPath: string, log: Logger): Promise<ReapResult> {
  const result = await reapEntries(readPidJournal(journalPath), log)
  writeJsonAtomic(journalPath, { children: [] })
  return result
}

/** Terminates every process these journal entries name and waits until they are gone. */
export async function reapEntries(entries: readonly PidEntry[], log: Logger): Promise<ReapResult> {
  if (entries.length === 0) return { entries: 0, killed: 0, survivors: [] }
  const found = findAll(entries)
  let survivors: number[] = []
  if (found.length > 0) {
    log.warn({ pids: found, agents: [...new Set(entries.map((e) => e.agent))] }, 'reaping processes of a previous run')
    // SIGCONT too: a stopped process only acts on SIGTERM once it runs again.
    const done = await terminateProcesses(() => findAll(entries), {
      signals: ['SIGTERM', 'SIGCONT'],
      graceMs: ORPHAN_KILL_AFTER_TERM_MS,
      goneWaitMs: ORPHAN_GONE_WAIT_MS
    })
    survivors = done.survivors
    if (survivors.length > 0) log.error({ pids: survivors }, 'processes of a previous run survived SIGKILL')
  }
  return { entries: entries.length, killed: found.length, survivors }
}
