/**
 * The on-disk message history: `<state>/history/messages-NNNNNN.jsonl`, append-only, one JSON
 * line per message (a `HistoryRecord`). Segments rotate at HISTORY_SEGMENT_BYTES; the oldest are
 * deleted once all of them pass HISTORY_MAX_BYTES (about 2 M messages of a few hundred bytes).
 *
 * Nothing is read at start but the last line of the newest segment (to continue `seq`); searches
 * read the segments in worker threads (search.ts). Appends are batched and written off the event
 * loop (libuv's thread pool), not fsync'd: a crash can lose the last few milliseconds of history,
 * never a delivery (the delivery journal is separate and synchronous).
 */
import { closeSync, mkdirSync, openSync, readdirSync, readSync, statSync, unlinkSync, fstatSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { APPEND_NOFOLLOW_FLAGS } from '../protocol/safe-open.js'
import { join } from 'node:path'
import type { HistoryRecord } from './query.js'
import { indexPathOf } from './segment-index.js'

/** A segment is sealed and a new one started past this size. */
export const HISTORY_SEGMENT_BYTES = 16 * 1024 * 1024
/** Oldest segments are deleted while the segments together exceed this. */
export const HISTORY_MAX_BYTES = 512 * 1024 * 1024
/** How much of the newest segment's end is read at start to find the last seq. */
const HISTORY_TAIL_READ_BYTES = 64 * 1024

const SEGMENT_RE = /^messages-(\d{6,})\.jsonl$/

export interface Segment {
  index: number
  path: string
  bytes: number
}

export interface HistoryLogOptions {
  segmentBytes?: number
  maxBytes?: number
  onError?: (err: unknown) => void
}

export class HistoryLog {
  readonly dir: string
  readonly #segmentBytes: number
  readonly #maxBytes: number
  readonly #onError: (err: unknown) => void
  /** Oldest first; the last one is being appended to. */
  readonly #segments: Segment[] = []
  #pending: string[] = []
  #writing: Promise<void> | null = null
  #fh: FileHandle | null = null
  #lastSeq = 0
  #closed = false
  /** The newest segment ends in a torn line (a crash mid-write): start a new one rather than append to it. */
  #tornTail = false
  /** Told of each segment the log stops appending to (indexer.ts indexes it). */
  onSealed: ((seg: Segment) => void) | null = null

  constructor(dir: string, opts: HistoryLogOptions = {}) {
    this.dir = dir
    this.#segmentBytes = opts.segmentBytes ?? HISTORY_SEGMENT_BYTES
    this.#maxBytes = opts.maxBytes ?? HISTORY_MAX_BYTES
    this.#onError = opts.onError ?? (() => {})
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    for (const name of readdirSync(dir)) {
      const m = SEGMENT_RE.exec(name)
      if (!m) continue
      const path = join(dir, name)
      this.#segments.push({ index: Number(m[1]), path, bytes: statSync(path).size })
    }
    this.#segments.sort((a, b) => a.index - b.index)
    this.#lastSeq = this.#readLastSeq()
  }

  /** The highest seq on disk when the log was opened, or appended since. */
  get lastSeq(): number {
    return this.#lastSeq
  }

  /** Sealed and current segments, oldest first (a copy: rotation may change the list). */
  segments(): Segment[] {
    return this.#segments.map((s) => ({ ...s }))
  }

  append(rec: HistoryRecord): void {
    if (this.#closed) return
    this.#lastSeq = Math.max(this.#lastSeq, rec.seq)
    this.#pending.push(JSON.stringify(rec))
    this.#writing ??= this.#drain()
  }

  /** Resolves once everything appended so far is in the files. */
  async flushed(): Promise<void> {
    while (this.#writing) await this.#writing
  }

  async close(): Promise<void> {
    await this.flushed()
    this.#closed = true
    await this.#fh?.close().catch(() => {})
    this.#fh = null
  }

  async #drain(): Promise<void> {
    // Let the messages of this turn of the loop join one write.
    await new Promise<void>((r) => setImmediate(r))
    try {
      while (this.#pending.length > 0) {
        const buf = Buffer.from(this.#pending.join('\n') + '\n')
        this.#pending = []
        const seg = await this.#current(buf.length)
        await this.#fh!.write(buf)
        seg.bytes += buf.length
      }
    } catch (err) {
      this.#pending = []
      this.#onError(err)
    } finally {
      this.#writing = null
    }
  }

  /** The segment to append `bytes` to, rotating (and pruning) when the current one is full. */
  async #current(bytes: number): Promise<Segment> {
    let seg = this.#segments[this.#segments.length - 1]
    const fits = seg !== undefined && !this.#tornTail && (seg.bytes === 0 || seg.bytes + bytes <= this.#segmentBytes)
    if (seg && fits) {
      this.#fh ??= await open(seg.path, APPEND_NOFOLLOW_FLAGS, 0o600)
      return seg
    }
    this.#tornTail = false
    await this.#fh?.close()
    if (seg && seg.bytes > 0) this.onSealed?.({ ...seg })
    const index = seg ? seg.index + 1 : 1
    seg = { index, path: join(this.dir, `messages-${String(index).padStart(6, '0')}.jsonl`), bytes: 0 }
    this.#fh = await open(seg.path, APPEND_NOFOLLOW_FLAGS, 0o600)
    this.#segments.push(seg)
    this.#prune()
    return seg
  }

  #prune(): void {
    let total = this.#segments.reduce((n, s) => n + s.bytes, 0)
    while (this.#segments.length > 1 && total > this.#maxBytes) {
      const old = this.#segments.shift()!
      total -= old.bytes
      try {
        unlinkSync(old.path)
      } catch (err) {
        this.#onError(err)
      }
      try {
        unlinkSync(indexPathOf(old.path))
      } catch {
        // never indexed
      }
    }
  }

  #readLastSeq(): number {
    for (let i = this.#segments.length - 1; i >= 0; i--) {
      const seg = this.#segments[i]!
      let fd: number | undefined
      try {
        fd = openSync(seg.path, 'r')
        const size = fstatSync(fd).size
        const len = Math.min(size, HISTORY_TAIL_READ_BYTES)
        const buf = Buffer.alloc(len)
        readSync(fd, buf, 0, len, size - len)
        if (i === this.#segments.length - 1 && len > 0 && buf[len - 1] !== 0x0a) this.#tornTail = true
        const lines = buf.toString('utf8').split('\n')
        lines.pop() // after the last newline: empty, or a torn line
        for (let j = lines.length - 1; j >= 0; j--) {
          const m = /^\{"seq":(\d+),/.exec(lines[j]!)
          if (m) return Number(m[1])
        }
      } catch {
        // unreadable: try the one before
      } finally {
        if (fd !== undefined) closeSync(fd)
      }
    }
    return 0
  }
}
