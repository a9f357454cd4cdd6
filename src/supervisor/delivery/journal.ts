/**
 * The write-ahead delivery journal: `deliveries.jsonl` in the state dir, one JSON line per fact.
 *   {"t":"c","r":<record>}                    a delivery was accepted (fsync'd before /api/send answers)
 *   {"t":"s","id","stage","reason"?,"at"}     it moved to a stage
 *   {"t":"a","id","attempts"}                 it was handed to a worker again
 *   {"t":"m","agent","mode"}                  an agent's inbound delivery mode changed
 * Replaying the lines rebuilds every delivery's last known stage; lines that cannot be read are
 * counted and reported (`JournalReport`), never skipped silently. The file is compacted at start
 * (past JOURNAL_START_COMPACT_BYTES) and when it grows past JOURNAL_COMPACT_BYTES (open records, dead letters and the newest
 * finished ones are kept) — in the offload pool (`compactInPool`): a worker replays the file up
 * to that moment and writes the kept records to a temp file; the loop then appends the lines
 * written meanwhile, syncs and renames (docs/architecture.md).
 *
 * Every append is a complete line or nothing (durable.ts `appendRecord`). Creations and mode
 * changes are fsync'd before the call returns and throw `StorageUnavailableError` when they
 * cannot be made durable (the file is cut back to the last complete record). Stage and attempt
 * lines that cannot be written wait in memory, in order, and go first on the next append or
 * tick: the journal catches up by itself once the disk has room.
 *
 * Group commit (`createdDurably`, `flush`): a send's creations are written at once and resolve when
 * an fdatasync started after them succeeds, off the loop and shared by every line written before it:
 * a burst of sends costs a few fdatasyncs and no loop time. If it fails, the file is cut back to the
 * last good fdatasync: the waiting creations are refused, the stage lines cut with them wait again.
 */
import { closeSync, ftruncateSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs'
import { dirname } from 'node:path'
import { tempPathFor } from '../../protocol/atomic-file.js'
import { openAppendNoFollow } from '../../protocol/safe-open.js'
import type { OffloadPool } from '../../offload/pool.js'
import type { DeliveryRecord, DeliveryStage } from './tracker.js'
import { UnsyncedLines } from '../state/unsynced-lines.js'
import { compactedText, replayJournal, type CompactJournalTask, type JournalState } from './journal-lines.js'
import { NODE_APPEND_IO, StorageUnavailableError, TornAppendError, appendRecord, asStorageError, errnoCode, syncDir, writeAll, writeAtomic, type AppendIo } from '../state/durable.js'

/** The delivery journal is compacted when it grows past this. */
export const JOURNAL_COMPACT_BYTES = 8 * 1024 * 1024

/**
 * At start the journal is compacted only past this size: a small journal costs nothing to replay,
 * and a broker that starts with one does not start the offload pool (a thread, ~8 MiB) for it.
 */
export const JOURNAL_START_COMPACT_BYTES = 256 * 1024

/** Wait before trying a failed compaction again. */
export const JOURNAL_COMPACT_RETRY_MS = 10_000

/** The journal's writing health, for `/api/status`. */
export interface JournalHealth {
  ok: boolean
  last_error: string | null
  last_error_at: string | null
  /** Stage lines waiting in memory for the disk to take them. */
  backlog: number
}

export { compactedText, replayJournal, type CompactJournalTask, type JournalReport, type JournalState } from './journal-lines.js'

export class DeliveryJournal {
  readonly path: string
  readonly #io: AppendIo
  #fd: number
  /** Size of the file up to its last complete record. */
  #bytes = 0
  #dirty = false
  /** A failed append whose partial bytes could not be cut off: cut them before the next one. */
  #torn = false
  readonly #backlog: Buffer[] = []
  #lastError: { message: string; at: number } | null = null
  #compactRetryAt = 0
  #closed = false
  /** Lines written while a compaction runs in the pool (they go to the compacted file too). */
  #tail: Buffer[] | null = null
  /** What no fdatasync has covered yet, and who waits for it (group commit). */
  readonly #unsynced: UnsyncedLines
  /** The fdatasync running off the loop, if any. */
  #syncing: Promise<void> | null = null
  /** A group fdatasync failed while a compaction ran: that compaction may hold cut lines. */
  #compactSpoiled = false

  /** Opens the journal for appending; bytes after `validBytes` (a torn last record) are cut off. */
  constructor(path: string, opts: { validBytes?: number; io?: AppendIo } = {}) {
    this.path = path
    this.#io = opts.io ?? NODE_APPEND_IO
    this.#fd = openAppendNoFollow(path)
    let size = 0
    try {
      size = statSync(path).size
    } catch {
      size = 0
    }
    this.#bytes = opts.validBytes !== undefined ? Math.min(opts.validBytes, size) : size
    if (this.#bytes < size) {
      try {
        ftruncateSync(this.#fd, this.#bytes)
      } catch {
        this.#torn = true
      }
    }
    this.#unsynced = new UnsyncedLines(this.#bytes)
  }

  /** Reads every line of a journal file; what cannot be used is counted in `report`. */
  static load(path: string): JournalState {
    let buf: Buffer
    try {
      buf = readFileSync(path)
    } catch {
      return replayJournal(Buffer.alloc(0))
    }
    return replayJournal(buf)
  }

  get health(): JournalHealth {
    return {
      ok: this.#lastError === null,
      last_error: this.#lastError?.message ?? null,
      last_error_at: this.#lastError ? new Date(this.#lastError.at).toISOString() : null,
      backlog: this.#backlog.length
    }
  }

  /** Appends the creation of deliveries and waits until they are on disk; throws StorageUnavailableError if they cannot be. */
  created(records: readonly DeliveryRecord[]): void {
    if (records.length === 0) return
    this.#durable(records.map((r) => JSON.stringify({ t: 'c', r })).join('\n') + '\n')
  }

  /** Appends creations now; resolves once a shared fdatasync off the loop has them on disk, else rejects (StorageUnavailableError) and cuts them. */
  createdDurably(records: readonly DeliveryRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve()
    try {
      this.#catchUp()
      this.#append(Buffer.from(records.map((r) => JSON.stringify({ t: 'c', r })).join('\n') + '\n'), false)
    } catch (err) {
      this.#failed(err)
      return Promise.reject(asStorageError(this.path, err))
    }
    const durable = this.#unsynced.wait(this.#bytes)
    this.#groupSync()
    return durable
  }

  stage(id: string, stage: DeliveryStage, at: number, reason?: string): void {
    this.#later(JSON.stringify(reason === undefined ? { t: 's', id, stage, at } : { t: 's', id, stage, reason, at }) + '\n')
  }

  attempt(id: string, attempts: number): void {
    this.#later(JSON.stringify({ t: 'a', id, attempts }) + '\n')
  }

  /** Appends a mode change durably; throws StorageUnavailableError if it cannot be. */
  mode(agent: string, mode: string): void {
    this.#durable(JSON.stringify({ t: 'm', agent, mode }) + '\n')
  }

  /** Writes what is waiting and fdatasyncs on the loop if anything was written since the last one. */
  sync(): void {
    try {
      this.#catchUp()
      if (!this.#dirty) return
      this.#io.datasync(this.#fd)
      this.#covered(this.#bytes)
      this.#lastError = null
    } catch (err) {
      this.#failed(err)
    }
  }

  /** `sync` with the fdatasync off the loop (the tick). */
  flush(): void {
    try {
      this.#catchUp()
      if (this.#dirty) this.#groupSync()
    } catch (err) {
      this.#failed(err)
    }
  }

  get needsCompaction(): boolean {
    return this.#bytes > JOURNAL_COMPACT_BYTES && Date.now() >= this.#compactRetryAt
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
   * lines written meanwhile to its file, one fdatasync and a rename. One at a time. A failure
   * (disk full…) leaves the journal as it was, removes the temp file, and the next try waits
   * JOURNAL_COMPACT_RETRY_MS. Lines waiting for disk space stay waiting (they go to the new file).
   */
  async compactInPool(pool: OffloadPool, keep: Iterable<DeliveryRecord>, modes: ReadonlyMap<string, string>): Promise<void> {
    if (this.#tail !== null || this.#closed) return
    this.sync() // what the worker replays is on disk
    const tmp = tempPathFor(this.path)
    const task: CompactJournalTask = { path: this.path, upToBytes: this.#bytes, keep: [...keep].map((r) => r.delivery_id), modes: [...modes], tmp }
    const tail: Buffer[] = (this.#tail = [])
    try {
      const { bytes } = await pool.run<{ bytes: number }>('compact-journal', task)
      // The descriptor is swapped below: no fdatasync may still be running on it.
      while (this.#syncing !== null) await this.#syncing
      if (this.#closed) throw new Error('journal closed during compaction')
      if (this.#torn) throw new Error('journal has a torn record to cut first')
      if (this.#compactSpoiled) throw new Error('an fdatasync failed during the compaction')
      const fd = openAppendNoFollow(tmp)
      let size = bytes
      try {
        for (const buf of tail) {
          writeAll(fd, buf, tmp)
          size += buf.length
        }
        this.#io.datasync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(tmp, this.path)
      syncDir(dirname(this.path))
      closeSync(this.#fd)
      this.#fd = openAppendNoFollow(this.path)
      this.#bytes = size
      this.#covered(size, true) // the new file holds every line, and it was synced
    } catch (err) {
      try {
        unlinkSync(tmp)
      } catch {
        // never written
      }
      if (!this.#closed) {
        this.#failed(err)
        this.#compactRetryAt = Date.now() + JOURNAL_COMPACT_RETRY_MS
        throw asStorageError(this.path, err)
      }
    } finally {
      this.#tail = null
      this.#compactSpoiled = false
    }
  }

  /**
   * Replaces the journal with exactly these records and modes (atomic rename), on the loop. False if the new
   * file could not be written: the old one stays in use, and the next try waits a little.
   */
  compact(records: Iterable<DeliveryRecord>, modes: ReadonlyMap<string, string>): boolean {
    if (this.#syncing !== null) return false // its descriptor is in use off the loop
    const text = compactedText(records, modes)
    try {
      writeAtomic(this.path, text)
    } catch (err) {
      this.#failed(err)
      this.#compactRetryAt = Date.now() + JOURNAL_COMPACT_RETRY_MS
      return false
    }
    // The new file holds everything the backlog would have said.
    closeSync(this.#fd)
    this.#fd = openAppendNoFollow(this.path)
    this.#bytes = Buffer.byteLength(text)
    this.#torn = false
    this.#backlog.length = 0
    this.#covered(this.#bytes, true)
    this.#lastError = null
    return true
  }

  close(): void {
    this.#closed = true
    this.sync()
    this.#unsynced.refuse(new StorageUnavailableError(this.path, 'closed', 'the journal was closed before the record was synced'))
    try {
      closeSync(this.#fd)
    } catch {
      // closed already
    }
  }

  /** Writes everything waiting, then `text`, and fdatasyncs; on failure cuts `text` off again and throws. */
  #durable(text: string): void {
    try {
      this.#catchUp()
      const before = this.#bytes
      this.#append(Buffer.from(text), false)
      try {
        this.#io.datasync(this.#fd)
      } catch (err) {
        // Not known to be on disk: not promised either. Cut it off so a restart cannot find it.
        this.#bytes = before
        this.#unsynced.unwrite()
        this.#tail?.pop()
        try {
          this.#io.truncate(this.#fd, before)
        } catch {
          this.#torn = true
        }
        throw err
      }
      this.#covered(this.#bytes)
      this.#lastError = null
    } catch (err) {
      this.#failed(err)
      throw asStorageError(this.path, err)
    }
  }

  /** A line that may wait: written now if possible, else kept in order for the next try. */
  #later(text: string): void {
    const buf = Buffer.from(text)
    if (this.#backlog.length === 0 && !this.#torn) {
      try {
        this.#append(buf, true)
        return
      } catch (err) {
        this.#failed(err)
      }
    }
    this.#backlog.push(buf)
  }

  #catchUp(): void {
    if (this.#torn) {
      this.#io.truncate(this.#fd, this.#bytes)
      this.#torn = false
    }
    while (this.#backlog.length > 0) {
      this.#append(this.#backlog[0]!, true)
      this.#backlog.shift()
    }
  }

  #append(buf: Buffer, waits: boolean): void {
    try {
      appendRecord(this.#io, this.#fd, this.path, this.#bytes, buf)
    } catch (err) {
      if (err instanceof TornAppendError) this.#torn = true
      throw err
    }
    this.#bytes += buf.length
    this.#dirty = true
    this.#unsynced.wrote(buf, this.#bytes, waits)
    this.#tail?.push(buf)
  }

  /** An fdatasync succeeded for the first `upTo` bytes (`all`: the file was replaced by a synced one). */
  #covered(upTo: number, all = false): void {
    this.#unsynced.covered(upTo, all)
    this.#dirty = this.#unsynced.dirty
  }

  /** Starts an fdatasync off the loop unless one runs; when it ends, the next one starts if lines wait for it. */
  #groupSync(): void {
    if (this.#syncing !== null || this.#closed) return
    const upTo = this.#bytes
    const io = this.#io
    const fd = this.#fd
    const run = io.datasyncOffLoop ? io.datasyncOffLoop(fd) : Promise.resolve().then(() => io.datasync(fd))
    this.#syncing = run
      .then(
        () => {
          if (this.#closed) return
          this.#covered(upTo)
          this.#lastError = null
        },
        (err: unknown) => {
          if (!this.#closed) this.#groupSyncFailed(err)
        }
      )
      .finally(() => {
        this.#syncing = null
        if (this.#unsynced.waiting) this.#groupSync()
      })
  }

  /** Nothing since the last good fdatasync is known to be on disk: cut it off, refuse the waiting creations, keep the stage lines for later. */
  #groupSyncFailed(err: unknown): void {
    this.#failed(err)
    const { later } = this.#unsynced.cut(asStorageError(this.path, err))
    this.#bytes = this.#unsynced.syncedBytes
    this.#dirty = false
    try {
      this.#io.truncate(this.#fd, this.#bytes)
    } catch {
      this.#torn = true
    }
    this.#backlog.unshift(...later)
    if (this.#tail !== null) this.#compactSpoiled = true
  }

  #failed(err: unknown): void {
    const message = err instanceof StorageUnavailableError ? `${err.cause_code}: ${err.message}` : `${errnoCode(err)}: ${(err as Error).message}`
    this.#lastError = { message, at: Date.now() }
  }
}
