/** Where a broker keeps its files. */
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs'
import type { Logger } from 'pino'
import { writeJsonAtomic } from './files.js'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import { brokerNameSchema, nameProblem, toValidName } from '../../protocol/names.js'
import { BrokerConfigError } from '../../errors/index.js'
export { BrokerConfigError } from '../../errors/index.js'

export interface BrokerPaths {
  root: string
  /** `persist` (--persist) or `ephemeral`; --state-dir alone keeps persistent paths but reports ephemeral. */
  mode: 'persist' | 'ephemeral'
  lock: string
  connection: string
  state: string
  logs: string
  /** `--persist` or `--state-dir`: agents survive a broker restart (resumed from `state`). */
  durable: boolean
  /** Crash records, written atomically on every record. */
  crashInsights: string
  /** PID journal of this run's children (pty child + CLI, with start times), for orphan reaping. */
  pids: string
}

/**
 * A directory only this user can write: created 0700 (chmod'ed, whatever the umask); one that
 * already exists must be owned by this user and writable by nobody else (docs/security.md).
 */
export function ensurePrivateDir(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    chmodSync(dir, 0o700)
    return
  }
  const st = statSync(dir)
  if (!st.isDirectory()) throw new BrokerConfigError(`state dir ${dir} is not a directory`)
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid !== uid) {
    throw new BrokerConfigError(`state dir ${dir} is owned by uid ${st.uid}, not by this user (uid ${uid}): refusing to use it`)
  }
  if ((st.mode & 0o022) !== 0) {
    const who = st.mode & 0o002 ? 'world' : 'group'
    throw new BrokerConfigError(
      `state dir ${dir} is ${who}-writable (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): refusing to use it; run chmod 700 on it or pick another --state-dir`
    )
  }
}

export function safeName(name: string): string {
  const s = Array.from(name, (c) => (/[\p{L}\p{N}-]/u.test(c) ? c : '-')).join('')
  return s.length > 0 ? s : 'broker'
}

/**
 * The broker's name: `--name`, else the directory's basename (what the SDK passes by default), made
 * a valid name (src/protocol/names.ts: other characters become `-`). It is the sender of the
 * broker's own messages, so it is checked like any sender.
 */
export function resolveBrokerName(name: string | undefined, cwd: string): string {
  const trimmed = (name ?? '').trim()
  const valid = toValidName(trimmed || basename(cwd), 'project')
  if (nameProblem(brokerNameSchema, valid) !== null) throw new BrokerConfigError(`broker name '${valid}' is not a valid name`)
  return valid
}

export function resolvePaths(opts: { name: string; persist: boolean; stateDir?: string | undefined; cwd: string }): BrokerPaths {
  let root: string
  if (opts.stateDir) root = resolve(opts.cwd, opts.stateDir)
  else if (opts.persist) root = join(opts.cwd, '.agent-relay')
  else root = join(tmpdir(), `relay-broker-${process.pid}-${safeName(opts.name)}-${randomUUID().replaceAll('-', '')}`)
  const logs = join(root, 'logs')
  ensurePrivateDir(root)
  ensurePrivateDir(logs)
  return {
    root,
    mode: opts.persist ? 'persist' : 'ephemeral',
    lock: join(root, 'broker.lock'),
    connection: join(root, 'connection.json'),
    state: join(root, 'state.json'),
    logs,
    durable: opts.persist || Boolean(opts.stateDir),
    crashInsights: join(root, 'crash-insights.json'),
    pids: join(root, 'pids.json')
  }
}

/** The state directory a 9.x client's `connect()` reads `connection.json` from, when set. */
export const STATE_DIR_ENV = 'AGENT_RELAY_STATE_DIR'
/** Where a 9.x client's `connect({cwd})` looks without that variable: `{cwd}/.agentworkforce/relay`. */
export const HARNESS_DISCOVERY_DIR = join('.agentworkforce', 'relay')

/**
 * Every `connection.json` this broker writes: its own, and for `--persist` also the one a 9.x
 * client looks for under the project (`{cwd}/.agentworkforce/relay/connection.json`).
 */
export function discoveryFiles(paths: BrokerPaths, cwd: string): string[] {
  const files = [paths.connection]
  if (paths.mode === 'persist') {
    const mirror = join(cwd, HARNESS_DISCOVERY_DIR, 'connection.json')
    if (mirror !== paths.connection) files.push(mirror)
  }
  return files
}

export function writeConnectionFile(file: string, connection: Record<string, unknown>, log: Logger): void {
  try {
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 })
    writeJsonAtomic(file, connection)
  } catch (err) {
    // Our own file is required (it is written first and its failure is fatal); a mirror is a convenience.
    if (file.endsWith(join('.agentworkforce', 'relay', 'connection.json'))) log.warn({ err, file }, 'could not write connection file')
    else throw err
  }
}

/** The workspace key of a 9.x client (`--workspace-key` or its variables); recorded, never used: no cloud. */
export function workspaceKeyFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string | null {
  for (const v of [flag, env.AGENT_RELAY_WORKSPACE_KEY, env.RELAY_WORKSPACE_KEY, env.RELAY_API_KEY]) {
    if (v?.trim()) return v.trim()
  }
  return null
}
