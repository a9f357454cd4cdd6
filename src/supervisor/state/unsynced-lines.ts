/**
 * Group commit bookkeeping of an append-only file (the delivery journal,
 * src/supervisor/delivery/journal.ts): the lines written since the last fdatasync that succeeded,
 * and the records waiting for an fdatasync that covers their line.
 */
interface Line {
  buf: Buffer
  /** Where the line ends in the file. */
  end: number
  /** A stage or attempt line: it may be written again later when it is cut. */
  waits: boolean
}

export class UnsyncedLines {
  /** File size up to the last fdatasync that succeeded. */
  syncedBytes: number
  readonly #lines: Line[] = []
  readonly #waiters: { end: number; resolve: () => void; reject: (err: unknown) => void }[] = []

  constructor(syncedBytes: number) {
    this.syncedBytes = syncedBytes
  }

  /** Whether something was written that no fdatasync has covered yet. */
  get dirty(): boolean {
    return this.#lines.length > 0
  }

  get waiting(): boolean {
    return this.#waiters.length > 0
  }

  wrote(buf: Buffer, end: number, waits: boolean): void {
    this.#lines.push({ buf, end, waits })
  }

  /** The last line was cut off again (its own fdatasync failed). */
  unwrite(): void {
    this.#lines.pop()
  }

  /** Resolves once an fdatasync covers the first `end` bytes. */
  wait(end: number): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#waiters.push({ end, resolve, reject }))
  }

  /** An fdatasync succeeded for the first `upTo` bytes (`all`: the file was replaced by a synced one holding every line). */
  covered(upTo: number, all = false): void {
    if (all) this.#lines.length = 0
    this.syncedBytes = all ? upTo : Math.max(this.syncedBytes, upTo)
    while (this.#lines.length > 0 && this.#lines[0]!.end <= upTo) this.#lines.shift()
    while (this.#waiters.length > 0 && (all || this.#waiters[0]!.end <= upTo)) this.#waiters.shift()!.resolve()
  }

  /** Everything after `syncedBytes` is cut from the file: the waiting creations are refused with `err`; returns the cut lines. */
  cut(err: unknown): { lines: Buffer[]; later: Buffer[] } {
    const cut = this.#lines.splice(0)
    this.refuse(err)
    return { lines: cut.map((l) => l.buf), later: cut.filter((l) => l.waits).map((l) => l.buf) }
  }

  refuse(err: unknown): void {
    for (const w of this.#waiters.splice(0)) w.reject(err)
  }
}
