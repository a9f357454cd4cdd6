/** Where a broker keeps its files (runtime.md §1.3–1.4). */
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'

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
  /** Crash records (runtime.md §5.4), written atomically on every record. */
  crashInsights: string
  /** PID journal of this run's children (pty child + CLI, with start times), for orphan reaping. */
  pids: string
}

export function safeName(name: string): string {
  const s = Array.from(name, (c) => (/[\p{L}\p{N}-]/u.test(c) ? c : '-')).join('')
  return s.length > 0 ? s : 'broker'
}

export function resolveBrokerName(name: string | undefined, cwd: string): string {
  const trimmed = (name ?? '').trim()
  if (trimmed) return trimmed
  return basename(cwd) || 'project'
}

export function resolvePaths(opts: { name: string; persist: boolean; stateDir?: string | undefined; cwd: string }): BrokerPaths {
  let root: string
  if (opts.stateDir) root = resolve(opts.cwd, opts.stateDir)
  else if (opts.persist) root = join(opts.cwd, '.agent-relay')
  else root = join(tmpdir(), `relay-broker-${process.pid}-${safeName(opts.name)}-${randomUUID().replaceAll('-', '')}`)
  mkdirSync(root, { recursive: true, mode: 0o700 })
  const logs = join(root, 'logs')
  mkdirSync(logs, { recursive: true, mode: 0o700 })
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
