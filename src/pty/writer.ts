/**
 * The one ordered writer to the PTY. Every byte sent to the CLI — terminal query replies,
 * injections, `write_pty`, keys — goes through it, so a multi-step sequence (text, pause,
 * Enter) runs as one exclusive job and nothing else can land between its writes.
 *
 * "Handed to the kernel": node-pty 1.1.0's UnixTerminal writes through `_writeStream`, a
 * CustomWriteStream whose `_writeQueue` array holds the chunks `fs.write` has not finished
 * with. `drain()` waits until that queue is empty. That field is private; `ptyWriteQueue()`
 * throws if it is missing so a node-pty upgrade fails loudly (a test checks it too).
 */
import type { IPty } from 'node-pty'

/** What the writer needs from a PTY: node-pty's IPty, or a stand-in in tests. */
export type WritablePty = Pick<IPty, 'write'>

/** A job's way to write: it may call this several times, with pauses in between. */
export type RawWrite = (data: string | Buffer) => void

/** node-pty's private write queue of a spawned pty. Throws if node-pty's internals changed. */
export function ptyWriteQueue(pty: object): unknown[] {
  const stream = (pty as { _writeStream?: { _writeQueue?: unknown } })._writeStream
  const queue = stream?._writeQueue
  if (!Array.isArray(queue)) {
    throw new Error('node-pty internals changed: UnixTerminal._writeStream._writeQueue is missing; PTY write drain cannot be observed')
  }
  return queue
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export class PtyWriter {
  readonly #pty: WritablePty
  readonly #queueOwner: object
  #tail: Promise<unknown> = Promise.resolve()
  /** Jobs accepted and not finished; while 0, plain writes go straight through. */
  #pending = 0
  #closed = false
  readonly #raw: RawWrite

  constructor(pty: WritablePty) {
    this.#pty = pty
    this.#queueOwner = pty
    ptyWriteQueue(pty) // fail at start, not at the first injection
    this.#raw = (data) => {
      if (!this.#closed) this.#pty.write(data as string)
    }
  }

  /** Stops all writing (the CLI is gone); queued jobs still run but write nothing. */
  close(): void {
    this.#closed = true
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Writes `data` after every job queued before it. */
  write(data: string | Buffer): void {
    if (this.#pending === 0) {
      this.#raw(data)
      return
    }
    void this.run(async (w) => w(data))
  }

  /** Runs `job` exclusively: no other write happens between its start and its end. */
  run<T>(job: (write: RawWrite) => Promise<T>): Promise<T> {
    this.#pending++
    const result = this.#tail.then(() => job(this.#raw))
    this.#tail = result.then(
      () => this.#pending--,
      () => this.#pending--
    )
    return result
  }

  /** Bytes written and not yet handed to the kernel (node-pty's queue). */
  pendingBytes(): number {
    let n = 0
    for (const task of ptyWriteQueue(this.#queueOwner)) {
      const t = task as { buffer?: { byteLength?: number }; offset?: number }
      n += Math.max(0, (t.buffer?.byteLength ?? 0) - (t.offset ?? 0))
    }
    return n
  }

  /**
   * Resolves true once node-pty has handed every written byte to the kernel, false if that
   * did not happen within `timeoutMs` (or the writer was closed). Polls with setImmediate.
   */
  drain(timeoutMs: number): Promise<boolean> {
    const queue = ptyWriteQueue(this.#queueOwner)
    if (queue.length === 0) return Promise.resolve(!this.#closed)
    const deadline = Date.now() + timeoutMs
    return new Promise((resolve) => {
      const poll = (): void => {
        if (this.#closed) resolve(false)
        else if (queue.length === 0) resolve(true)
        else if (Date.now() >= deadline) resolve(false)
        else setImmediate(poll)
      }
      setImmediate(poll)
    })
  }
}
