/**
 * A `broker pty`/`broker headless` child that an earlier supervisor started and that outlived it:
 * reaching its adoption socket, and noticing when it is gone (it is not our child, so there is
 * no exit event: its pid is watched, with its start time so a recycled pid never counts).
 */
import type { PidEntry } from '../process/pid-journal.js'
import { connect, type Socket } from 'node:net'
import { isSameProcessAlive } from '../process/proc.js'

/** A starting supervisor retries connecting to a live child's adoption socket for this long. */
export const ADOPT_CONNECT_WAIT_MS = 3_000

/** An adopted child whose socket closed is waited out this long before its tree is killed. */
export const ADOPTED_EXIT_WAIT_MS = 2_000

/** Poll interval while waiting for an adopted (not our child) process to disappear. */
export const ADOPTED_EXIT_POLL_MS = 25

/** What the pid journal says about a child to adopt. */
export interface AdoptTarget {
  pid: number
  startTicks: number | null
  cliPid: number | null
  cliStartTicks: number | null
  socketPath: string
  secret: string
}

/** The child a PID journal entry names, as adoption reaches it (the entry has an adoption socket). */
export function adoptTargetOf(e: PidEntry): AdoptTarget {
  return { pid: e.worker_pid, startTicks: e.worker_start_ticks, cliPid: e.cli_pid, cliStartTicks: e.cli_start_ticks, socketPath: e.adopt_socket!, secret: e.adopt_secret! }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Resolves true once the process is gone, false if it is still there after `maxMs`. */
export async function waitProcessGone(pid: number | null, startTicks: number | null, maxMs = ADOPTED_EXIT_WAIT_MS): Promise<boolean> {
  if (pid === null) return true
  const deadline = Date.now() + maxMs
  while (isSameProcessAlive(pid, startTicks)) {
    if (Date.now() > deadline) return false
    await sleep(ADOPTED_EXIT_POLL_MS)
  }
  return true
}

function tryConnect(path: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const s = connect(path)
    s.once('connect', () => {
      s.removeAllListeners('error')
      resolve(s)
    })
    s.once('error', () => {
      s.destroy()
      resolve(null)
    })
  })
}

/**
 * Connects to a live child's adoption socket. The child opens it when it notices its stdio is
 * gone, which may be a moment after its supervisor died: retried for ADOPT_CONNECT_WAIT_MS
 * while the process is alive. null when it cannot be reached.
 */
export async function connectAdoption(t: AdoptTarget, maxMs = ADOPT_CONNECT_WAIT_MS): Promise<Socket | null> {
  const deadline = Date.now() + maxMs
  for (;;) {
    if (!isSameProcessAlive(t.pid, t.startTicks)) return null
    const s = await tryConnect(t.socketPath)
    if (s) return s
    if (Date.now() > deadline) return null
    await sleep(50)
  }
}
