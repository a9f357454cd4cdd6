/**
 * The write-ahead delivery journal: `deliveries.jsonl` in the state dir, one JSON line per fact.
 *   {"t":"c","r":<record>}                    a delivery was accepted (fsync'd before /api/send answers)
 *   {"t":"s","id","stage","reason"?,"at"}     it moved to a stage
 *   {"t":"a","id","attempts"}                 it was handed to a worker again
 *   {"t":"m","agent","mode"}                  an agent's inbound delivery mode changed
 * Replaying the lines rebuilds every delivery's last known stage. The file is compacted at
 * start (past JOURNAL_START_COMPACT_BYTES) and when it grows past JOURNAL_COMPACT_BYTES (open records, dead letters and the
 * newest finished ones are kept) — in the offload pool (`compactInPool`): a worker replays the
 * file up to that moment and writes the kept records to a temp file; the loop then appends the
 * lines written meanwhile, syncs and renames (docs/architecture.md).
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { JOURNAL_COMPACT_BYTES } from '../protocol/constants.js'
import type { OffloadPool } from '../offload/pool.js'
import type { DeliveryRecord, DeliveryStage } from './delivery-tracker.js'
import { syncDir, writeFileAtomic } from './files.js'

/**
 * At start the journal is compacted only past this size: a small journal costs nothing to replay,
 * and a broker that starts with one does not start the offload pool (a thread, ~8 MiB) for it.
 */
export const JOURNAL_START_COMPACT_BYTES = 256 * 1024

type JournalLine =
  | { t: 'c'; r: DeliveryRecord }
  | { t: 's'; id: string; stage: DeliveryStage; reason?: string; at: number }
  | { t: 'a'; id: string; attempts: number }
  | { t: 'm'; agent: string; mode: string }

export interface JournalState {
  records: Map<string, DeliveryRecord>
  modes: Map<string, string>
}

/** Rebuilds the deliveries and modes a journal's text describes. */
export function replayJournal(text: string): JournalState {
  const records = new Map<string, DeliveryRecord>()
  const modes = new Map<string, string>()
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

export class DeliveryJournal {
  readonly path: string
  #fd: number
  #bytes = 0
  #dirty = false
  #closed = false
  /** Lines written while a compaction runs in the pool (they go to the compacted file too). */
  #tail: Buffer[] | null = null

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
    let text = ''
    try {
      text = readFileSync(path, 'utf8')
    } catch {
      return { records: new Map(), modes: new Map() }
    }
    return replayJournal(text)
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

  get worthCompactingAtStart(): boolean {
    return this.#bytes > JOURNAL_START_COMPACT_BYTES
  }

  /** Whether a compaction in the pool is under way. */
  get compacting(): boolean {
    return this.#tail !== null
  }

  /**
   * Compacts in the offload pool, keeping the deliveries `keep` names (their state as journaled)
   * and `modes`. The loop's share: the list of ids now; when the worker is done, appending the
   * lines written meanwhile to its file, one fdatasync and a rename. One at a time.
   */
  async compactInPool(pool: OffloadPool, keep: Iterable<DeliveryRecord>, modes: ReadonlyMap<string, string>): Promise<void> {
    if (this.#tail !== null || this.#closed) return
    this.sync() // what the worker replays is on disk
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${randomBytes(6).toString('hex')}.tmp`)
    const task: CompactJournalTask = { path: this.path, upToBytes: this.#bytes, keep: [...keep].map((r) => r.delivery_id), modes: [...modes], tmp }
    const tail: Buffer[] = (this.#tail = [])
    try {
      const { bytes } = await pool.run<{ bytes: number }>('compact-journal', task)
      if (this.#closed) throw new Error('journal closed during compaction')
      const fd = openSync(tmp, 'a', 0o600)
      let size = bytes
      try {
        for (const buf of tail) size += writeSync(fd, buf)
        fdatasyncSync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(tmp, this.path)
      syncDir(dirname(this.path))
      closeSync(this.#fd)
      this.#fd = openSync(this.path, 'a', 0o600)
      this.#bytes = size
      this.#dirty = false
    } catch (err) {
      try {
        unlinkSync(tmp)
      } catch {
        // never written
      }
      if (!this.#closed) throw err
    } finally {
      this.#tail = null
    }
  }

  /** Replaces the journal with exactly these records and modes (atomic rename), on the loop. */
  compact(records: Iterable<DeliveryRecord>, modes: ReadonlyMap<string, string>): void {
    const text = compactedText(records, modes)
    closeSync(this.#fd)
    writeFileAtomic(this.path, text)
    this.#fd = openSync(this.path, 'a', 0o600)
    this.#bytes = Buffer.byteLength(text)
    this.#dirty = false
  }

  close(): void {
    this.#closed = true
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
    this.#tail?.push(buf)
  }
}
