/**
 * Signals to processes and process groups, and the questions around them: which number a signal
 * name has, whether a pid is still there. Dependency-free: the supervisor and the children both
 * use it (src/terminate/escalate.ts builds TERM → grace → KILL on top).
 */
import { constants as osConstants } from 'node:os'

/** A signal as the frames and exit reports carry it: its number as a string (`SIGKILL` → `"9"`); an unknown name as given. */
export function signalNumber(signal: NodeJS.Signals | null): string | null {
  if (!signal) return null
  const n = (osConstants.signals as Record<string, number>)[signal]
  return n === undefined ? signal : String(n)
}

/**
 * Sends `signal` to the process group led by `pid` (a child started detached, or a node-pty CLI,
 * leads its own group: pgid = pid), else — the group is gone or was never formed — to `pid`
 * itself. False when neither exists. pid 0 and 1 are refused: `kill(-1)` would signal every
 * process we may signal, `kill(0)` our own group.
 */
export function signalGroup(pid: number | null, signal: NodeJS.Signals): boolean {
  if (pid === null || !Number.isInteger(pid) || pid <= 1) return false
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return signalPid(pid, signal)
  }
}

/** Sends `signal` to one process; false when it no longer exists (or may not be signalled). */
export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal)
    return true
  } catch {
    return false
  }
}

/** Signals each pid; returns how many still existed. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): number {
  let n = 0
  for (const pid of pids) if (signalPid(pid, signal)) n++
  return n
}

/** Does process `pid` still exist (a zombie counts: it has not been reaped)? EPERM means it does, as another user's. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
