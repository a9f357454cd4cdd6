import { open, rename } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'
import { randomBytes } from 'node:crypto'

/**
 * A state file written off the event loop: `schedule(value)` serialises the value at once and
 * asks for it to be written (temp file + fsync + rename + directory fsync, like files.ts).
 * Writes never overlap; values scheduled while one is in flight collapse into one more write of
 * the newest. fsync on a slow disk therefore never shows up as event-loop delay, and a write
 * that lands late can only ever put the newest scheduled content on disk.
 */
export class AsyncJsonFile {
  readonly path: string
  readonly #onError: (err: unknown) => void
  #writing: Promise<void> | null = null
  #next: string | null = null

  constructor(path: string, onError: (err: unknown) => void = () => {}) {
    this.path = path
    this.#onError = onError
  }

  /** Writes `value` soon; resolves once it (or something newer) is on disk. */
  schedule(value: unknown): Promise<void> {
    this.#next = JSON.stringify(value, null, 2) + '\n'
    this.#writing ??= this.#loop()
    return this.#writing
  }

  /** Resolves when everything scheduled so far is on disk. */
  idle(): Promise<void> {
    return this.#writing ?? Promise.resolve()
  }

  async #loop(): Promise<void> {
    try {
      while (this.#next !== null) {
        const data = this.#next
        this.#next = null
        try {
          await writeAtomicAsync(this.path, data)
        } catch (err) {
          this.#onError(err)
        }
      }
    } finally {
      this.#writing = null
    }
  }
}

async function writeAtomicAsync(path: string, data: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
  try {
    const dir = await open(dirname(path), 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  }
}
