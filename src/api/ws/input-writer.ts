/**
 * Typing into an agent's PTY.
 * Writes to one agent are serialized: the next one starts only when the previous one has been
 * handed to the child (after any stdin backlog over the high-water mark has drained).
 */
import type { Broker } from '../../supervisor/broker.js'
import { apiError } from '../reply.js'
import { WORKER_STDIN_HIGH_WATER_BYTES } from '../../supervisor/worker/types.js'

/** Longest wait for a child's stdin backlog to fall under the high-water mark before an input write is refused. */
export const INPUT_WRITE_DRAIN_TIMEOUT_MS = 5_000

/** Poll interval while an input write waits for a child's stdin to drain. */
export const INPUT_WRITE_DRAIN_POLL_MS = 10

export type NotFoundWording = 'no worker named' | 'unknown worker'

export interface InputResult {
  name: string
  bytes_written: number
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export class InputWriter {
  readonly #rt: Broker
  readonly #tails = new Map<string, Promise<unknown>>()

  constructor(rt: Broker) {
    this.#rt = rt
  }

  write(name: string, data: string, wording: NotFoundWording = 'unknown worker'): Promise<InputResult> {
    const prev = this.#tails.get(name) ?? Promise.resolve()
    const run = prev.then(() => this.#writeNow(name, data, wording))
    const tail = run.catch(() => undefined)
    this.#tails.set(name, tail)
    void tail.then(() => {
      if (this.#tails.get(name) === tail) this.#tails.delete(name)
    })
    return run
  }

  async #writeNow(name: string, data: string, wording: NotFoundWording): Promise<InputResult> {
    const deadline = Date.now() + INPUT_WRITE_DRAIN_TIMEOUT_MS
    for (;;) {
      const entry = this.#rt.agents.get(name)
      if (!entry) throw apiError('agent_not_found', `agent_not_found: ${wording} '${name}'`)
      if (entry.handle.stdinBacklogBytes <= WORKER_STDIN_HIGH_WATER_BYTES) {
        if (!entry.handle.send('write_pty', { data })) {
          throw apiError('worker_disappeared', `worker_disappeared: worker '${name}' is not running`)
        }
        return { name: entry.handle.name, bytes_written: Buffer.byteLength(data) }
      }
      if (Date.now() > deadline) {
        throw apiError('worker_timeout', `worker_timeout: worker '${name}' is not reading its input`)
      }
      await sleep(INPUT_WRITE_DRAIN_POLL_MS)
    }
  }
}

const writers = new WeakMap<Broker, InputWriter>()

/** The one input writer of a runtime (shared by the HTTP route and every input stream). */
export function inputWriterFor(rt: Broker): InputWriter {
  let w = writers.get(rt)
  if (!w) writers.set(rt, (w = new InputWriter(rt)))
  return w
}
