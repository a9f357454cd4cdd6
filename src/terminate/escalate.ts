/**
 * Termination in steps, written once (after execa's lib/terminate/): the first signals (SIGTERM,
 * maybe SIGHUP or SIGCONT), a grace period in which the process may exit by itself, then SIGKILL.
 * Two shapes of the same escalation:
 * - terminateGroup: a process group whose exit we are told about (a child's `exit` event, node-pty's
 *   onExit); the caller cancels the escalation when the exit comes.
 * - terminateProcesses: loose pids we did not start (a previous run's, found in /proc); we poll until
 *   they are gone.
 */
import { signalAll, signalGroup } from './signals.js'

/** Grace between the first signals and SIGKILL, when the caller names none. */
export const KILL_AFTER_TERM_MS = 1_000
/** Poll interval while waiting for processes we are not the parent of to disappear. */
export const GONE_POLL_MS = 25

export interface GroupTermination {
  /** Stops the escalation (the process exited): no SIGKILL is sent. */
  cancel(): void
}

export interface GroupTerminationOptions {
  /** Sent at once, in order. Default: SIGTERM. */
  signals?: readonly NodeJS.Signals[]
  /** Time the group gets before SIGKILL. Default: KILL_AFTER_TERM_MS. */
  graceMs?: number
  /** Called right after the SIGKILL (not when cancelled first). */
  onKill?: () => void
}

/**
 * Sends `signals` to the process group of `pid`, then SIGKILL after `graceMs` unless cancelled.
 * The timer does not keep the event loop alive.
 */
export function terminateGroup(pid: number, o: GroupTerminationOptions = {}): GroupTermination {
  for (const s of o.signals ?? ['SIGTERM']) signalGroup(pid, s)
  let timer: NodeJS.Timeout | null = setTimeout(() => {
    timer = null
    signalGroup(pid, 'SIGKILL')
    o.onKill?.()
  }, o.graceMs ?? KILL_AFTER_TERM_MS)
  timer.unref()
  return {
    cancel() {
      if (timer) clearTimeout(timer)
      timer = null
    }
  }
}

export interface ProcessesTerminationOptions {
  /** Sent at once to every pid found, in order. Default: SIGTERM. */
  signals?: readonly NodeJS.Signals[]
  /** Time the processes get to go after the first signals, before SIGKILL. Default: KILL_AFTER_TERM_MS. */
  graceMs?: number
  /** Longest wait for them to disappear after SIGKILL. */
  goneWaitMs: number
}

export interface ProcessesTerminationResult {
  /** The pids found alive at the start. */
  found: number[]
  /** The pids still alive after SIGKILL and the wait (should be none; report them). */
  survivors: number[]
}

/**
 * Terminates the processes `find()` names (asked again while waiting: it must return only the
 * ones still alive): the first signals, a wait of up to `graceMs` for them to go, SIGKILL to
 * what is left, a wait of up to `goneWaitMs`.
 */
export async function terminateProcesses(find: () => number[], o: ProcessesTerminationOptions): Promise<ProcessesTerminationResult> {
  const found = find()
  if (found.length === 0) return { found, survivors: [] }
  for (const s of o.signals ?? ['SIGTERM']) signalAll(found, s)
  const left = await waitGone(find, o.graceMs ?? KILL_AFTER_TERM_MS)
  if (left.length === 0) return { found, survivors: [] }
  signalAll(left, 'SIGKILL')
  return { found, survivors: await waitGone(find, o.goneWaitMs) }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Polls `find()` until it returns nothing or `maxMs` has passed; returns what is left. */
export async function waitGone(find: () => number[], maxMs: number): Promise<number[]> {
  const deadline = Date.now() + maxMs
  let alive = find()
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(GONE_POLL_MS)
    alive = find()
  }
  return alive
}
