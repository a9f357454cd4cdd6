/**
 * Crash insights, with the real exit status: the CLI's
 * exit code or signal as the child reported it, the real uptime and the last output. The store
 * is loaded from `crash-insights.json` at start and written atomically after every record
 * (off the event loop).
 */
import { readJson } from '../state/files.js'
import { AsyncJsonFile } from '../state/async-file.js'

/** Crash records kept in `crash-insights.json`; `recent` in the API. */
export const CRASH_INSIGHTS_MAX_RECORDS = 500

export const CRASH_INSIGHTS_RECENT = 20

/** `health_score` = 100 − this × crashes within the window, among the last HEALTH_SAMPLE records. */
export const CRASH_HEALTH_PENALTY = 10

export const CRASH_HEALTH_WINDOW_MS = 3_600_000

export const CRASH_HEALTH_SAMPLE = 50

export type CrashCategory = 'oom' | 'segfault' | 'error' | 'signal' | 'unknown'

export interface CrashRecord {
  agent_name: string
  exit_code: number | null
  /** Signal number as a decimal string. */
  signal: string | null
  /** Unix seconds. */
  timestamp: number
  uptime_secs: number
  /** The same, to the millisecond (a CLI that dies at start has uptime_secs 0 but not uptime_ms 0). */
  uptime_ms: number
  category: CrashCategory
  description: string
  /** Tail of the agent's screen when it died (from the child's `agent_exit`). */
  last_output: string | null
  /** What the supervisor did: `restart`, `permanently_dead` or `exited`. */
  outcome: string | null
}

/** The classification table of the original (`CrashInsights::analyze`), signals first. */
export function classifyExit(code: number | null, signal: string | null): { category: CrashCategory; description: string } {
  if (signal !== null) {
    if (signal === '11' || signal === 'SIGSEGV') return { category: 'segfault', description: `Segmentation fault (signal ${signal})` }
    if (signal === '9' || signal === 'SIGKILL') return { category: 'oom', description: `Killed by signal ${signal} (possible OOM)` }
    return { category: 'signal', description: `Killed by signal ${signal}` }
  }
  if (code === 137) return { category: 'oom', description: 'Exited with code 137 (possible OOM)' }
  if (code === 139) return { category: 'segfault', description: 'Exited with code 139 (segmentation fault)' }
  if (code === 0) return { category: 'unknown', description: 'Exited with unexpected code 0' }
  if (code !== null) return { category: 'error', description: `Exited with code ${code}` }
  return { category: 'unknown', description: 'Unknown exit status' }
}

export interface CrashSummary {
  total_crashes: number
  recent: CrashRecord[]
  patterns: { category: CrashCategory; count: number; agents: string[] }[]
  health_score: number
}

export class CrashInsights {
  readonly path: string | null
  readonly #records: CrashRecord[] = []
  readonly #file: AsyncJsonFile | null

  /** `path` null keeps the store in memory only. */
  constructor(path: string | null, onError: (err: unknown) => void = () => {}) {
    this.path = path
    this.#file = path ? new AsyncJsonFile(path, onError) : null
    if (path) {
      const doc = readJson(path) as { records?: unknown } | undefined
      if (Array.isArray(doc?.records)) {
        for (const r of doc.records) {
          const rec = r as Partial<CrashRecord>
          if (typeof rec?.agent_name === 'string' && typeof rec.timestamp === 'number') {
            this.#records.push({ ...(rec as CrashRecord), uptime_ms: rec.uptime_ms ?? (rec.uptime_secs ?? 0) * 1000, last_output: rec.last_output ?? null, outcome: rec.outcome ?? null })
          }
        }
        this.#trim()
      }
    }
  }

  get count(): number {
    return this.#records.length
  }

  record(input: { agent: string; code: number | null; signal: string | null; uptimeMs: number; lastOutput: string | null; outcome: string | null; now?: number }): CrashRecord {
    const { category, description } = classifyExit(input.code, input.signal)
    const rec: CrashRecord = {
      agent_name: input.agent,
      exit_code: input.code,
      signal: input.signal,
      timestamp: Math.floor((input.now ?? Date.now()) / 1000),
      uptime_secs: Math.max(0, Math.floor(input.uptimeMs / 1000)),
      uptime_ms: Math.max(0, Math.round(input.uptimeMs)),
      category,
      description,
      last_output: input.lastOutput,
      outcome: input.outcome
    }
    this.#records.push(rec)
    this.#trim()
    void this.save()
    return rec
  }

  /** Writes the store (atomically, off the event loop); resolves once on disk. */
  save(): Promise<void> {
    return this.#file?.schedule({ records: this.#records, max_records: CRASH_INSIGHTS_MAX_RECORDS }) ?? Promise.resolve()
  }

  /** Resolves when every record so far is on disk. */
  /** Resolves once written (a write that failed was logged through onError and is retried by `retry`). */
  idle(): Promise<void> {
    return this.#file?.idle().catch(() => {}) ?? Promise.resolve()
  }

  /** Writes again what could not be written (disk full earlier). */
  retry(): void {
    this.#file?.retry()
  }

  summary(now = Date.now()): CrashSummary {
    const byCategory = new Map<CrashCategory, { count: number; agents: Set<string> }>()
    for (const r of this.#records) {
      const p = byCategory.get(r.category) ?? { count: 0, agents: new Set<string>() }
      p.count++
      p.agents.add(r.agent_name)
      byCategory.set(r.category, p)
    }
    const patterns = [...byCategory.entries()]
      .map(([category, p]) => ({ category, count: p.count, agents: [...p.agents] }))
      .sort((a, b) => b.count - a.count)
    const sample = this.#records.slice(-CRASH_HEALTH_SAMPLE)
    const windowStart = (now - CRASH_HEALTH_WINDOW_MS) / 1000
    const recentCrashes = sample.filter((r) => r.timestamp >= windowStart).length
    return {
      total_crashes: this.#records.length,
      recent: this.#records.slice(-CRASH_INSIGHTS_RECENT),
      patterns,
      health_score: Math.max(0, 100 - CRASH_HEALTH_PENALTY * recentCrashes)
    }
  }

  #trim(): void {
    if (this.#records.length > CRASH_INSIGHTS_MAX_RECORDS) this.#records.splice(0, this.#records.length - CRASH_INSIGHTS_MAX_RECORDS)
  }
}
