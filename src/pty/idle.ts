/**
 * `agent_idle`: once per transition into idle, after `thresholdMs` of PTY silence; any
 * output re-arms it. A threshold of 0 disables it.
 */
export class IdleDetector {
  readonly #thresholdMs: number
  #lastOutputAtMs: number
  #idle = false

  constructor(thresholdMs: number, startedAtMs: number) {
    this.#thresholdMs = thresholdMs
    this.#lastOutputAtMs = startedAtMs
  }

  get enabled(): boolean {
    return this.#thresholdMs > 0
  }

  output(nowMs: number): void {
    this.#lastOutputAtMs = nowMs
    this.#idle = false
  }

  /** Whole seconds of silence when the agent just became idle, else null. */
  check(nowMs: number): number | null {
    if (!this.enabled || this.#idle) return null
    const silentMs = nowMs - this.#lastOutputAtMs
    if (silentMs < this.#thresholdMs) return null
    this.#idle = true
    return Math.floor(silentMs / 1000)
  }
}
