/**
 * The delivery journal's lines (delivery-journal.ts): replaying them into records and modes,
 * with a report of what could not be used, and the text of a compacted journal. Pure: used by
 * the supervisor at start and by the pool task that compacts (workers/compact-journal.ts).
 */
import type { DeliveryRecord, DeliveryStage } from './tracker.js'

/** Replay problems listed by reason (the counts cover all of them). */
const REPORT_REASONS_MAX = 20

type JournalLine =
  | { t: 'c'; r: DeliveryRecord }
  | { t: 's'; id: string; stage: DeliveryStage; reason?: string; at: number }
  | { t: 'a'; id: string; attempts: number }
  | { t: 'm'; agent: string; mode: string }

/** What replay found that it could not use. */
export interface JournalReport {
  /** Complete lines read. */
  lines: number
  /** A last record cut short (a crash or a full disk mid-write); it was cut off the file. */
  torn: number
  /** Complete lines that are not JSON or not a journal record. */
  unreadable: number
  /** Stage or attempt lines of a delivery whose creation was not found. */
  orphaned: number
  reasons: string[]
}

export interface JournalState {
  records: Map<string, DeliveryRecord>
  modes: Map<string, string>
  report: JournalReport
  /** Bytes up to the end of the last complete line. */
  validBytes: number
}

function isRecordLine(v: unknown): v is JournalLine {
  if (typeof v !== 'object' || v === null) return false
  const l = v as Record<string, unknown>
  if (l.t === 'c') return typeof (l.r as { delivery_id?: unknown } | undefined)?.delivery_id === 'string'
  if (l.t === 's') return typeof l.id === 'string' && typeof l.stage === 'string'
  if (l.t === 'a') return typeof l.id === 'string' && typeof l.attempts === 'number'
  if (l.t === 'm') return typeof l.agent === 'string' && typeof l.mode === 'string'
  return false
}

/**
 * Rebuilds the deliveries and modes a journal's bytes describe; what cannot be used (a torn last
 * record, lines that are not records, stages of unknown deliveries) is counted in `report`.
 */
export function replayJournal(data: Buffer | string): JournalState {
  const buf = typeof data === 'string' ? Buffer.from(data) : data
  const records = new Map<string, DeliveryRecord>()
  const modes = new Map<string, string>()
  const report: JournalReport = { lines: 0, torn: 0, unreadable: 0, orphaned: 0, reasons: [] }
  const problem = (reason: string): void => {
    if (report.reasons.length < REPORT_REASONS_MAX) report.reasons.push(reason)
  }
  const end = buf.lastIndexOf(0x0a) + 1
  if (end < buf.length) {
    report.torn++
    problem(`torn last record: ${buf.length - end} bytes without an end of line (cut off)`)
  }
  const lines = buf.subarray(0, end).toString('utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (!line) continue
    report.lines++
    let rec: unknown
    try {
      rec = JSON.parse(line)
    } catch {
      report.unreadable++
      problem(`line ${i + 1}: not JSON (${line.length} bytes)`)
      continue
    }
    if (!isRecordLine(rec)) {
      report.unreadable++
      problem(`line ${i + 1}: not a journal record`)
      continue
    }
    if (rec.t === 'c') records.set(rec.r.delivery_id, rec.r)
    else if (rec.t === 'm') modes.set(rec.agent, rec.mode)
    else {
      const r = records.get(rec.id)
      if (!r) {
        report.orphaned++
        problem(`line ${i + 1}: ${rec.t === 's' ? 'stage' : 'attempt'} of unknown delivery ${rec.id}`)
        continue
      }
      if (rec.t === 'a') r.attempts = rec.attempts
      else {
        r.stage = rec.stage
        if (rec.reason !== undefined) r.reason = rec.reason
        r.history.push(rec.reason === undefined ? { stage: rec.stage, at: rec.at } : { stage: rec.stage, at: rec.at, reason: rec.reason })
      }
    }
  }
  return { records, modes, report, validBytes: end }
}

/** The text of a compacted journal: one creation line per record (its current state), then the modes. */
export function compactedText(records: Iterable<DeliveryRecord>, modes: Iterable<[string, string]>): string {
  const lines: string[] = []
  for (const r of records) lines.push(JSON.stringify({ t: 'c', r }))
  for (const [agent, mode] of modes) lines.push(JSON.stringify({ t: 'm', agent, mode }))
  return lines.length > 0 ? lines.join('\n') + '\n' : ''
}

/** Input of the pool task workers/compact-journal.ts. */
export interface CompactJournalTask {
  path: string
  /** Replay only this much of the file: what was written when the compaction began. */
  upToBytes: number
  /** Delivery ids to keep, in this order. */
  keep: string[]
  modes: [string, string][]
  tmp: string
}
