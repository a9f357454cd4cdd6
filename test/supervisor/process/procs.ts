/** Process look-ups for supervision tests, straight from /proc (not a test file). */
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'

export interface ProcInfo {
  pid: number
  argv: string[]
  state: string
}

function read(pid: number): ProcInfo | null {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a.length > 0)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!
    return { pid, argv, state }
  } catch {
    return null
  }
}

/** Live (non-zombie) processes. */
export function processes(): ProcInfo[] {
  const out: ProcInfo[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    const p = read(Number(d))
    if (p && p.state !== 'Z' && p.state !== 'X' && p.argv.length > 0) out.push(p)
  }
  return out
}

/** The `broker pty` children hosting `agent` (argv: … pty --agent-name <agent> …). */
export function ptyChildren(agent: string): number[] {
  return processes()
    .filter((p) => {
      const i = p.argv.indexOf('--agent-name')
      return p.argv.includes('pty') && i !== -1 && p.argv[i + 1] === agent
    })
    .map((p) => p.pid)
}

/** Agent CLIs: environment RELAY_AGENT_NAME=<agent>, an argv word ending in `needle`, not a pty child. */
export function agentProcesses(agent: string, needle: string): number[] {
  const marker = `RELAY_AGENT_NAME=${agent}\0`
  return processes()
    .filter((p) => p.argv.some((a) => a.endsWith(needle)) && !p.argv.includes('--agent-name'))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p.pid}/environ`, 'utf8').includes(marker)
      } catch {
        return false
      }
    })
    .map((p) => p.pid)
}

/** Processes whose argv is exactly `sleep <n>`. */
export function sleepers(n: string): number[] {
  return processes()
    .filter((p) => p.argv.length === 2 && p.argv[0] === 'sleep' && p.argv[1] === n)
    .map((p) => p.pid)
}

export function alive(pid: number): boolean {
  const p = read(pid)
  return p !== null && p.state !== 'Z' && p.state !== 'X'
}

/** `ps -eo pid,pgid,sid,stat,cmd` lines whose command is exactly `cmd` (zombies excluded). */
export function psLines(cmd: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,pgid,sid,stat,cmd'], { encoding: 'utf8' })
  return out.split('\n').filter((l) => {
    const cols = l.trim().split(/\s+/)
    return cols.slice(4).join(' ') === cmd && !(cols[3] ?? '').startsWith('Z')
  })
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
