/**
 * Starting and stopping the agent CLI: command resolution, its environment, and signals to
 * its whole process group (node-pty makes the CLI a session and group leader, pgid = pid).
 */
/**
 * The CLI's environment: the inherited one, with a usable TERM and PWD set to the folder it
 * starts in (a PWD inherited from the broker would name another folder; opencode trusts it).
 */
export function cliEnv(base: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v
  if (!env.TERM || env.TERM === 'dumb') env.TERM = 'xterm-256color'
  env.PWD = cwd
  return env
}

/** Sends `signal` to the process group `pgid`; false if the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false
  try {
    process.kill(-pgid, signal)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw err
  }
}

/** Does process `pid` still exist? */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
