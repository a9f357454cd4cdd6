/**
 * The write-ahead delivery journal: `deliveries.jsonl` in the state dir, one JSON line per fact.
 *   {"t":"c","r":<record>}                    a delivery was accepted (fsync'd before /api/send answers)
 *   {"t":"s","id","stage","reason"?,"at"}     it moved to a stage
 *   {"t":"a","id","attempts"}                 it was handed to a worker again
 *   {"t":"m","agent","mode"}                  an agent's inbound delivery mode changed
 * Replaying the lines rebuilds every delivery's last known stage. The file is compacted at
 * start and when it grows past JOURNAL_COMPACT_BYTES (open records, dead letters and the
 * newest finished ones are kept).
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs'
import { JOURNAL_COMPACT_BYTES } from '../protocol/constants.js'
import type { DeliveryRecord, DeliveryStage } from './delivery-tracker.js'
import { writeFileAtomic } from './files.js'

type JournalLine =
  | { t: 'c'; r: DeliveryRecord }
  | { t: 's'; id: string; stage: DeliveryStage; reason?: string; at: number }
  | { t: 'a'; id: string; attempts: number }
  | { t: 'm'; agent: string; mode: string }

export interface JournalState {
  records: Map<string, DeliveryRecord>
  modes: Map<string, string>
}

export class DeliveryJournal {
  readonly path: string
  #fd: number
  #bytes = 0
  #dirty = false

  constructor(path: string) {
    this.path = path
    this.#fd = openSync(path, 'a', 0o600)
    try {
      this.#bytes = statSync(path).size
    } catch {
      this.#bytes = 0
    }
  }

  /** Reads every line of a journal file (a torn last line from a crash is ignored). */
  static load(path: string): JournalState {
    const records = new Map<string, DeliveryRecord>()
    const modes = new Map<string, string>()
    let text = ''
    try {
      text = readFileSync(path, 'utf8')
    } catch {
      return { records, modes }
    }
    for (const line of text.split('\n')) {
      if (!line) continue
      let rec: JournalLine
      try {
        rec = JSON.parse(line) as JournalLine
      } catch {
        continue
      }
      if (rec.t === 'c') records.set(rec.r.delivery_id, rec.r)
      else if (rec.t === 's') {
        const r = records.get(rec.id)
        if (!r) continue
        r.stage = rec.stage
        if (rec.reason !== undefined) r.reason = rec.reason
        r.history.push(rec.reason === undefined ? { stage: rec.stage, at: rec.at } : { stage: rec.stage, at: rec.at, reason: rec.reason })
      } else if (rec.t === 'a') {
        const r = records.get(rec.id)
        if (r) r.attempts = rec.attempts
      } else if (rec.t === 'm') modes.set(rec.agent, rec.mode)
    }
    return { records, modes }
  }

  /** Appends the creation of deliveries and waits until they are on disk. */
  created(records: readonly DeliveryRecord[]): void {
    if (records.length === 0) return
    this.#write(records.map((r) => JSON.stringify({ t: 'c', r })).join('\n') + '\n')
    this.sync()
  }

  stage(id: string, stage: DeliveryStage, at: number, reason?: string): void {
    this.#write(JSON.stringify(reason === undefined ? { t: 's', id, stage, at } : { t: 's', id, stage, reason, at }) + '\n')
  }

  attempt(id: string, attempts: number): void {
    this.#write(JSON.stringify({ t: 'a', id, attempts }) + '\n')
  }

  mode(agent: string, mode: string): void {
    this.#write(JSON.stringify({ t: 'm', agent, mode }) + '\n')
    this.sync()
  }

  /** fdatasync if anything was written since the last one. */
  sync(): void {
    if (!this.#dirty) return
    fdatasyncSync(this.#fd)
    this.#dirty = false
  }

  get needsCompaction(): boolean {
    return this.#bytes > JOURNAL_COMPACT_BYTES
  }

  /** Replaces the journal with exactly these records and modes (atomic rename). */
  compact(records: Iterable<DeliveryRecord>, modes: ReadonlyMap<string, string>): void {
    const lines: string[] = []
    for (const r of records) lines.push(JSON.stringify({ t: 'c', r }))
    for (const [agent, mode] of modes) lines.push(JSON.stringify({ t: 'm', agent, mode }))
    const text = lines.length > 0 ? lines.join('\n') + '\n' : ''
    closeSync(this.#fd)
    writeFileAtomic(this.path, text)
    this.#fd = openSync(this.path, 'a', 0o600)
    this.#bytes = Buffer.byteLength(text)
    this.#dirty = false
  }

  close(): void {
    try {
      this.sync()
      closeSync(this.#fd)
    } catch {
      // closed already
    }
  }

  #write(text: string): void {
    const buf = Buffer.from(text)
    writeSync(this.#fd, buf)
    this.#bytes += buf.length
    this.#dirty = true
  }
}
