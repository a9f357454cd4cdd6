/** The one table `npm run bench` prints: each figure with its floor (measured in the same run), target and verdict. */
import { readFileSync } from 'node:fs'

export interface Row {
  figure: string
  value: number
  unit: string
  /** A floor measured in the same run (what the machine itself costs), or null when none applies. */
  floor: number | null
  /** How the floor was measured, e.g. "`node -e 0`". */
  floorNote?: string
  /** Human form of the target, e.g. "≤ floor + 100 ms". */
  target: string
  /** true: meets the target; false: falls short; null: no target (reported only). */
  pass: boolean | null
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** VmRSS in MiB (0 when the process is gone). */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

/** CPU time (user + system) a process has used so far, in ms (`/proc/<pid>/stat`, clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // fields after the command name, which may hold spaces: utime and stime are the 12th and 13th
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS
}

/** Linux's USER_HZ: /proc reports CPU time in ticks of this many ms. */
const CLOCK_TICK_MS = 10

/** Proportional set size in MiB (`/proc/<pid>/smaps_rollup`): shared pages divided among their users. */
export function pssMiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

function fmt(v: number, unit: string): string {
  if (!Number.isFinite(v)) return '—'
  const d = Math.abs(v) >= 100 || unit === 'count' ? 0 : 1
  return `${v.toFixed(d)} ${unit}`
}

export function printTable(rows: Row[]): void {
  const header = ['figure', 'measured', 'floor (same run)', 'target', 'result']
  const lines = rows.map((r) => [
    r.figure,
    fmt(r.value, r.unit),
    r.floor === null ? '' : `${fmt(r.floor, r.unit)}${r.floorNote ? ` ${r.floorNote}` : ''}`,
    r.target,
    r.pass === null ? '' : r.pass ? 'pass' : 'FALLS SHORT'
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const line = (cols: string[]) => '| ' + cols.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |'
  console.log(line(header))
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|')
  for (const l of lines) console.log(line(l))
}
