/** The supervisor's side of one adoption handshake: `adopt_worker` sent, `worker_adopted` awaited (bounded). */
import { ADOPT_HANDSHAKE_TIMEOUT_MS } from '../../protocol/constants.js'
import type { AdoptedState } from '../../protocol/frames.js'
import { AdoptionError } from '../../errors/index.js'
export { AdoptionError } from '../../errors/index.js'

export class AdoptionHandshake {
  readonly promise: Promise<AdoptedState>
  #resolve!: (s: AdoptedState) => void
  #reject!: (e: Error) => void
  readonly #timer: NodeJS.Timeout
  #done = false

  /** `onTimeout` runs (after the rejection) when the child does not answer in time. */
  constructor(onTimeout: () => void, timeoutMs = ADOPT_HANDSHAKE_TIMEOUT_MS) {
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    this.#timer = setTimeout(() => {
      this.fail('adopt_timeout', `no worker_adopted within ${timeoutMs} ms`)
      onTimeout()
    }, timeoutMs)
  }

  get pending(): boolean {
    return !this.#done
  }

  succeed(state: AdoptedState): void {
    if (this.#done) return
    this.#done = true
    clearTimeout(this.#timer)
    this.#resolve(state)
  }

  fail(code: AdoptionError['code'], message: string): void {
    if (this.#done) return
    this.#done = true
    clearTimeout(this.#timer)
    this.#reject(new AdoptionError(code, message))
  }
}
