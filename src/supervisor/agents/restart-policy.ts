/**
 * The restart decision for one agent: pure bookkeeping, no timers
 * and no processes, so every rule is unit-tested on its own.
 *
 * - A requested exit (release, broker shutdown) is final. So is a clean exit (code 0, no signal):
 *   an agent that ends by itself has finished, it has not crashed.
 * - Any other exit is a crash. With the policy disabled it is final.
 * - Backoff: the first delay is `cooldown_ms`, doubling per consecutive crash, capped at
 *   RESTART_BACKOFF_MAX_MS. A child that was ready and up for RESTART_HEALTHY_UPTIME_MS before it
 *   crashed resets the consecutive count; a child that never became ready never does, so a CLI
 *   that dies at start is tried `max_consecutive_failures` times with growing delays, not in a storm.
 * - Budget: at most `max_restarts` restarts within RESTART_WINDOW_MS (older ones are forgiven).
 *   Past either limit the agent is permanently dead, with the reason.
 */
import type { RestartPolicy } from '../../protocol/frames.js'

/** Restart policy defaults for a spawn that names none. */
export const RESTART_DEFAULT_MAX_RESTARTS = 5

export const RESTART_DEFAULT_COOLDOWN_MS = 2_000

export const RESTART_DEFAULT_MAX_CONSECUTIVE_FAILURES = 3

/** Backoff cap: `cooldown_ms` doubles per consecutive crash up to this. */
export const RESTART_BACKOFF_MAX_MS = 30_000

/** A child ready and up this long before it crashes resets the consecutive-failure count. */
export const RESTART_HEALTHY_UPTIME_MS = 30_000

/** `max_restarts` counts restarts within this sliding window (older ones are forgiven). */
export const RESTART_WINDOW_MS = 600_000

export type { RestartPolicy }

/** Exit status of the pty child when the CLI cannot be started (src/pty/exit.ts). */
const EXIT_CANNOT_START = 127

/** A policy with the defaults for what `p` leaves out (a spawn may name only some fields). */
export function restartPolicyWithDefaults(p: { [K in keyof RestartPolicy]?: RestartPolicy[K] | undefined } = {}): RestartPolicy {
  return {
    enabled: p.enabled ?? true,
    max_restarts: p.max_restarts ?? RESTART_DEFAULT_MAX_RESTARTS,
    cooldown_ms: p.cooldown_ms ?? RESTART_DEFAULT_COOLDOWN_MS,
    max_consecutive_failures: p.max_consecutive_failures ?? RESTART_DEFAULT_MAX_CONSECUTIVE_FAILURES
  }
}

export function effectivePolicy(p: RestartPolicy | null | undefined): RestartPolicy {
  return p ?? restartPolicyWithDefaults()
}

export interface ExitFacts {
  code: number | null
  /** Signal number as a decimal string, or null. */
  signal: string | null
  /** How long the child ran. */
  uptimeMs: number
  /** Whether it ever reported `worker_ready`. */
  wasReady: boolean
  /** Release or broker shutdown asked for this exit. */
  requested: boolean
  now: number
}

export type RestartDecision =
  | { action: 'final'; reason: 'requested' | 'clean_exit' | 'restart_disabled' }
  | { action: 'restart'; delayMs: number; restartCount: number; consecutive: number }
  | { action: 'dead'; reason: string }

export interface RestartLimits {
  backoffMaxMs: number
  healthyUptimeMs: number
  windowMs: number
}

const DEFAULT_LIMITS: RestartLimits = {
  backoffMaxMs: RESTART_BACKOFF_MAX_MS,
  healthyUptimeMs: RESTART_HEALTHY_UPTIME_MS,
  windowMs: RESTART_WINDOW_MS
}

export function isCrash(code: number | null, signal: string | null): boolean {
  return !(code === 0 && signal === null)
}

export class RestartTracker {
  readonly policy: RestartPolicy
  readonly #limits: RestartLimits
  #total = 0
  #consecutive = 0
  #restartTimes: number[] = []

  constructor(policy: RestartPolicy | null | undefined, limits: Partial<RestartLimits> = {}) {
    this.policy = effectivePolicy(policy)
    this.#limits = { ...DEFAULT_LIMITS, ...limits }
  }

  /** Restarts done so far (all time). */
  get totalRestarts(): number {
    return this.#total
  }

  get consecutiveFailures(): number {
    return this.#consecutive
  }

  onExit(f: ExitFacts): RestartDecision {
    if (f.requested) return { action: 'final', reason: 'requested' }
    if (!isCrash(f.code, f.signal)) return { action: 'final', reason: 'clean_exit' }
    if (!this.policy.enabled) return { action: 'final', reason: 'restart_disabled' }
    if (f.wasReady && f.uptimeMs >= this.#limits.healthyUptimeMs) this.#consecutive = 0
    this.#consecutive++
    if (!f.wasReady && f.code === EXIT_CANNOT_START && f.signal === null) {
      return { action: 'dead', reason: `cli could not be started (exit ${EXIT_CANNOT_START})` }
    }
    this.#restartTimes = this.#restartTimes.filter((t) => f.now - t < this.#limits.windowMs)
    if (this.#restartTimes.length >= this.policy.max_restarts) {
      return {
        action: 'dead',
        reason: `exceeded max restarts (${this.policy.max_restarts} within ${Math.round(this.#limits.windowMs / 1000)}s)`
      }
    }
    if (this.#consecutive > this.policy.max_consecutive_failures) {
      return { action: 'dead', reason: `exceeded max consecutive failures (${this.policy.max_consecutive_failures})` }
    }
    const cap = Math.max(this.#limits.backoffMaxMs, this.policy.cooldown_ms)
    const delayMs = Math.min(this.policy.cooldown_ms * 2 ** (this.#consecutive - 1), cap)
    return { action: 'restart', delayMs, restartCount: this.#total + 1, consecutive: this.#consecutive }
  }

  /** An adopted agent keeps the count of restarts its earlier supervisors did. */
  carryOver(totalRestarts: number): void {
    this.#total = totalRestarts
  }

  /** A new child was started for the agent. */
  onRestarted(now: number): void {
    this.#total++
    this.#restartTimes.push(now)
  }
}
