/**
 * How a CLI's command is found, the same way by the supervisor (to refuse a spawn of a CLI that is
 * not there) and by `broker pty` (to start it): a name with '/' is a path, any other is searched
 * in PATH, or in the usual install folders when PATH is unset or empty.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/** Searched when PATH is unset or empty: where the agent CLIs' installers put them. */
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
