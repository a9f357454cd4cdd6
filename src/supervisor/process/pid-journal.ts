/**
 * The PID journal (`<state>/pids.json`): every child this broker started and has not yet seen
 * exit, with process start times (so a recycled pid is never mistaken for ours) and the
 * environment marker its whole tree inherits. Written atomically on every change, so after a
 * supervisor crash the next broker knows exactly what to adopt (adoption.ts) and what to reap
 * (orphans.ts). The file is mode 0600: it holds each child's adoption secret. Writes happen off
 * the event loop (async-file.ts).
 */
import { readJson } from '../state/files.js'
import { AsyncJsonFile } from '../state/async-file.js'

export interface PidEntry {
  agent: string
  /** `NAME=value` in the child's environment, unique per child. */
  env_marker: string
  worker_pid: number
  worker_start_ticks: number | null
  cli_pid: number | null
  cli_start_ticks: number | null
  /** The broker that started (or adopted) it. */
  broker_pid: number
  started_at: number
  /** Where the child waits to be adopted if its supervisor dies, and the secret it asks for (the file is 0600). */
  adopt_socket?: string | null
  adopt_secret?: string | null
}

function isEntry(v: unknown): v is PidEntry {
  const e = v as PidEntry
  return typeof e === 'object' && e !== null && typeof e.agent === 'string' && typeof e.worker_pid === 'number' && typeof e.env_marker === 'string'
}

export function readPidJournal(path: string): PidEntry[] {
  const doc = readJson(path) as { children?: unknown } | undefined
  return Array.isArray(doc?.children) ? doc.children.filter(isEntry) : []
}

export class PidJournal {
  readonly path: string
  readonly #entries = new Map<string, PidEntry>()
  readonly #file: AsyncJsonFile

  constructor(path: string, onError: (err: unknown) => void = () => {}) {
    this.path = path
    this.#file = new AsyncJsonFile(path, onError)
  }

  get size(): number {
    return this.#entries.size
  }

  entries(): PidEntry[] {
    return [...this.#entries.values()]
  }

  /** Adds or updates the child with this marker, then writes the journal. */
  put(entry: PidEntry): void {
    this.#entries.set(entry.env_marker, entry)
    void this.write()
  }

  update(marker: string, patch: Partial<PidEntry>): void {
    const e = this.#entries.get(marker)
    if (!e) return
    Object.assign(e, patch)
    void this.write()
  }

  remove(marker: string): void {
    if (this.#entries.delete(marker)) void this.write()
  }

  write(): Promise<void> {
    return this.#file.schedule({ children: this.entries() })
  }

  /** Resolves once every change so far is on disk. */
  /** Resolves once written (a write that failed was logged through onError and is retried by `retry`). */
  idle(): Promise<void> {
    return this.#file.idle().catch(() => {})
  }

  /** Writes again what could not be written (disk full earlier). */
  retry(): void {
    this.#file.retry()
  }
}
