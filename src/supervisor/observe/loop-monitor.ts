/**
 * The supervisor's event-loop delay (`perf_hooks.monitorEventLoopDelay`): how late a timer
 * fires beyond its period — the time some handler kept the loop busy.
 *
 * Reported over a rolling window. Node cannot merge its loop-delay histograms, so two of them
 * run staggered by LOOP_DELAY_WINDOW_MS, each reset every 2 × window: the older one always
 * covers between one and two windows of history, and that is the one reported.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'

/** Event-loop delay histogram: resolution, and the window rotated (reported: current + previous). */
export const LOOP_DELAY_RESOLUTION_MS = 10

export const LOOP_DELAY_WINDOW_MS = 30_000

export interface LoopDelay {
  p50: number
  p99: number
  max: number
  mean: number
  /** Samples behind the figures. */
  samples: number
  /** Seconds of history they cover. */
  window_secs: number
}

export class LoopMonitor {
  readonly #resolutionMs: number
  readonly #h: [IntervalHistogram, IntervalHistogram]
  readonly #resetAt: [number, number] = [0, 0]
  #maxSinceStartNs = 0
  #rotate: NodeJS.Timeout | null = null
  #next = 0

  constructor(resolutionMs = LOOP_DELAY_RESOLUTION_MS) {
    this.#resolutionMs = resolutionMs
    this.#h = [monitorEventLoopDelay({ resolution: resolutionMs }), monitorEventLoopDelay({ resolution: resolutionMs })]
  }

  start(windowMs = LOOP_DELAY_WINDOW_MS): void {
    const now = Date.now()
    this.#resetAt[0] = now
    this.#resetAt[1] = now
    this.#h[0].enable()
    this.#h[1].enable()
    // Every window, the histogram with the longest history is reset; the other one is then the oldest.
    this.#rotate = setInterval(() => this.#resetOne(this.#next), windowMs)
    this.#rotate.unref()
  }

  stop(): void {
    this.#h[0].disable()
    this.#h[1].disable()
    if (this.#rotate) clearInterval(this.#rotate)
  }

  /** Delay over the rolling window, in ms beyond the sampling period. */
  recent(now = Date.now()): LoopDelay {
    const i = this.#resetAt[0] <= this.#resetAt[1] ? 0 : 1
    const h = this.#h[i]
    const window_secs = Math.round((now - this.#resetAt[i]) / 1000)
    if (h.count === 0) return { p50: 0, p99: 0, max: 0, mean: 0, samples: 0, window_secs }
    return { p50: this.#ms(h.percentile(50)), p99: this.#ms(h.percentile(99)), max: this.#ms(h.max), mean: this.#ms(h.mean), samples: h.count, window_secs }
  }

  /** Largest delay seen since start, in ms. */
  maxSinceStart(): number {
    return this.#ms(Math.max(this.#maxSinceStartNs, this.#h[0].count ? this.#h[0].max : 0, this.#h[1].count ? this.#h[1].max : 0))
  }

  /** Starts a fresh window (a measurement phase begins: `POST /api/metrics/reset`). */
  reset(): void {
    this.#resetOne(0)
    this.#resetOne(1)
  }

  #resetOne(i: number): void {
    const h = this.#h[i]!
    if (h.count > 0) this.#maxSinceStartNs = Math.max(this.#maxSinceStartNs, h.max)
    h.reset()
    this.#resetAt[i] = Date.now()
    this.#next = 1 - i
  }

  /** The histogram records the whole timer interval; the delay is what exceeds the period. */
  #ms(ns: number): number {
    return Math.max(0, Math.round((ns / 1e6 - this.#resolutionMs) * 100) / 100)
  }
}
