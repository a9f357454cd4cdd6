/**
 * Starting and stopping the agent CLI: command resolution, its environment, and signals to
 * its whole process group (node-pty makes the CLI a session and group leader, pgid = pid).
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/** Searched when PATH is unset or empty (worker.md §3.1). */
function fallbackPath(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? ''
  return [
    ...(home ? [`${home}/.local/bin`, `${home}/.opencode/bin`, `${home}/.claude/local`] : []),
    '/usr/local/bin',
    '/usr/bin',
    '/bin',
    '/opt/homebrew/bin'
  ]
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, fsConstants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The executable for `cli`: a name containing '/' is used as it is (it must exist and be
 * executable); any other name is searched in PATH. null when nothing runnable was found.
 */
export function resolveCli(cli: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | null {
  if (cli.length === 0) return null
  if (cli.includes('/')) return isExecutableFile(cli.startsWith('/') ? cli : join(cwd, cli)) ? cli : null
  const path = env.PATH?.trim()
  const dirs = path ? path.split(delimiter) : fallbackPath(env)
  for (const dir of dirs) {
    if (dir.length === 0) continue
    const candidate = join(dir, cli)
    if (isExecutableFile(candidate)) return candidate
  }
  return null
}

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
