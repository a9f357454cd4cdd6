import { writeAtomicAsync } from './durable.js'

/**
 * A state file written off the event loop: `schedule(value)` serialises the value at once and
 * asks for it to be written (durable.ts: temp file + fsync + rename + directory fsync).
 * Writes never overlap; values scheduled while one is in flight collapse into one more write of
 * the newest. fsync on a slow disk therefore never shows up as event-loop delay, and a write
 * that lands late can only ever put the newest scheduled content on disk.
 *
 * A write that fails (disk full…) is kept: `idle()` rejects with its error until a later write
 * succeeds, and `retry()` (the maintenance tick) tries the newest content again, so the file
 * catches up by itself once the disk has room.
 */
export class AsyncJsonFile {
  readonly path: string
  readonly #onError: (err: unknown) => void
  #writing: Promise<void> | null = null
  #next: string | null = null
  /** The newest content that could not be written, and why. */
  #failed: { data: string; err: unknown } | null = null

  constructor(path: string, onError: (err: unknown) => void = () => {}) {
    this.path = path
    this.#onError = onError
  }

  /** The error of the newest write, while it has not been written. */
  get lastError(): unknown {
    return this.#failed?.err ?? null
  }

  /** Writes `value` soon; resolves once it (or something newer) is on disk, rejects if that failed. */
  schedule(value: unknown): Promise<void> {
    this.#next = JSON.stringify(value, null, 2) + '\n'
    return this.idle()
  }

  /** Resolves when everything scheduled so far is on disk; rejects if the newest content could not be written. */
  idle(): Promise<void> {
    if (this.#next !== null) this.#writing ??= this.#loop()
    const settle = (): Promise<void> => (this.#failed ? Promise.reject(this.#failed.err) : Promise.resolve())
    const done = this.#writing ? this.#writing.then(settle) : settle()
    done.catch(() => {}) // callers that do not wait for it were told through onError
    return done
  }

  /** Tries the content of a failed write again (nothing if none failed or a write is due anyway). */
  retry(): void {
    if (!this.#failed || this.#writing || this.#next !== null) return
    this.#next = this.#failed.data
    this.#writing = this.#loop()
    this.#writing.catch(() => {})
  }

  async #loop(): Promise<void> {
    try {
      while (this.#next !== null) {
        const data = this.#next
        this.#next = null
        try {
          await writeAtomicAsync(this.path, data)
          this.#failed = null
        } catch (err) {
          this.#failed = { data, err }
          this.#onError(err)
        }
      }
    } finally {
      this.#writing = null
    }
  }
}
