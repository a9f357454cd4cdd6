/**
 * `run_as` (spawn): the local user an agent's CLI runs as (docs/security.md). A user name from
 * /etc/passwd, a uid, or `uid:gid`. Only a root broker may use another user.
 */
import { readFileSync } from 'node:fs'

/** Why `run_as` cannot be used; `status` is the HTTP answer. */
export class RunAsError extends Error {
  readonly code: string
  readonly status: number
  constructor(code: string, message: string, status: number) {
    super(message)
    this.name = 'RunAsError'
    this.code = code
    this.status = status
  }
}

export interface RunAs {
  uid: number
  gid: number
  user: string
  home: string
}

const PASSWD_PATH = '/etc/passwd'

interface PasswdEntry {
  name: string
  uid: number
  gid: number
  home: string
}

function passwd(): PasswdEntry[] {
  let text = ''
  try {
    text = readFileSync(PASSWD_PATH, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 7 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }))
}

/** Resolves `value` and checks the broker may switch to it; throws a RunAsError saying why not. */
export function resolveRunAs(value: string): RunAs {
  const v = value.trim()
  const entries = passwd()
  let found: RunAs | null = null
  const ids = /^(\d+)(?::(\d+))?$/.exec(v)
  if (ids) {
    const uid = Number(ids[1])
    const entry = entries.find((e) => e.uid === uid)
    found = { uid, gid: ids[2] !== undefined ? Number(ids[2]) : (entry?.gid ?? uid), user: entry?.name ?? String(uid), home: entry?.home ?? '/' }
  } else {
    const entry = entries.find((e) => e.name === v)
    if (entry) found = { uid: entry.uid, gid: entry.gid, user: entry.name, home: entry.home }
  }
  if (!found) throw new RunAsError('unknown_user', `run_as '${v}': no such user in ${PASSWD_PATH} (give a user name, a uid or uid:gid)`, 400)
  const self = process.geteuid?.()
  if (self !== undefined && self !== 0 && (found.uid !== self || found.gid !== process.getegid?.())) {
    throw new RunAsError(
      'run_as_not_permitted',
      `run_as '${v}': the broker runs as uid ${self} and may not start processes as another user (it must run as root to use run_as)`,
      403
    )
  }
  return found
}
