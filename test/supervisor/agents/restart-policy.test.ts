/** The restart decision, rule by rule (pure: no processes, no timers). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RestartTracker, effectivePolicy, type ExitFacts } from '../../../src/supervisor/agents/restart-policy.js'
import { RESTART_DEFAULT_COOLDOWN_MS, RESTART_DEFAULT_MAX_CONSECUTIVE_FAILURES, RESTART_DEFAULT_MAX_RESTARTS } from '../../../src/supervisor/agents/restart-policy.js'

const crash = (over: Partial<ExitFacts> = {}): ExitFacts => ({ code: 3, signal: null, uptimeMs: 100, wasReady: true, requested: false, now: 1_000_000, ...over })
const policy = (over: Partial<{ enabled: boolean; max_restarts: number; cooldown_ms: number; max_consecutive_failures: number }> = {}) => ({
  enabled: true,
  max_restarts: 10,
  cooldown_ms: 100,
  max_consecutive_failures: 5,
  ...over
})

test('defaults when the spawn names no policy: on, 5 restarts, 2 s, 3 consecutive', () => {
  assert.deepEqual(effectivePolicy(null), {
    enabled: true,
    max_restarts: RESTART_DEFAULT_MAX_RESTARTS,
    cooldown_ms: RESTART_DEFAULT_COOLDOWN_MS,
    max_consecutive_failures: RESTART_DEFAULT_MAX_CONSECUTIVE_FAILURES
  })
  assert.deepEqual([RESTART_DEFAULT_MAX_RESTARTS, RESTART_DEFAULT_COOLDOWN_MS, RESTART_DEFAULT_MAX_CONSECUTIVE_FAILURES], [5, 2000, 3])
})

test('requested and clean exits are final; a crash with restarts disabled is final too', () => {
  const t = new RestartTracker(policy())
  assert.deepEqual(t.onExit(crash({ requested: true })), { action: 'final', reason: 'requested' })
  assert.deepEqual(t.onExit(crash({ code: 0 })), { action: 'final', reason: 'clean_exit' })
  assert.equal(t.onExit(crash({ code: 0, signal: '15' })).action, 'restart', 'killed by a signal is a crash even with code 0')
  const off = new RestartTracker(policy({ enabled: false }))
  assert.deepEqual(off.onExit(crash()), { action: 'final', reason: 'restart_disabled' })
})

test('backoff: cooldown_ms first, doubling per consecutive crash, capped', () => {
  const t = new RestartTracker(policy({ cooldown_ms: 100, max_consecutive_failures: 100, max_restarts: 100 }), { backoffMaxMs: 1_000 })
  const delays: number[] = []
  for (let i = 0; i < 6; i++) {
    const d = t.onExit(crash({ now: 1_000_000 + i }))
    assert.equal(d.action, 'restart')
    if (d.action === 'restart') {
      assert.equal(d.restartCount, i + 1)
      delays.push(d.delayMs)
    }
    t.onRestarted(1_000_000 + i)
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1_000, 1_000])
})

test('a healthy uptime resets the consecutive count; a child that never became ready never does', () => {
  const t = new RestartTracker(policy(), { healthyUptimeMs: 5_000 })
  t.onExit(crash())
  t.onRestarted(0)
  t.onExit(crash())
  t.onRestarted(0)
  assert.equal(t.consecutiveFailures, 2)
  const d = t.onExit(crash({ uptimeMs: 6_000 }))
  assert.equal(t.consecutiveFailures, 1)
  assert.equal(d.action === 'restart' && d.delayMs, 100)
  t.onRestarted(0)
  t.onExit(crash({ uptimeMs: 60_000, wasReady: false }))
  assert.equal(t.consecutiveFailures, 2, 'long-lived but never ready: still failing')
})

test('past max_consecutive_failures the agent is permanently dead', () => {
  const t = new RestartTracker(policy({ max_consecutive_failures: 3 }))
  for (let i = 0; i < 3; i++) {
    assert.equal(t.onExit(crash()).action, 'restart')
    t.onRestarted(0)
  }
  assert.deepEqual(t.onExit(crash()), { action: 'dead', reason: 'exceeded max consecutive failures (3)' })
  assert.equal(new RestartTracker(policy({ max_consecutive_failures: 0 })).onExit(crash()).action, 'dead', '0 means no restart at all')
})

test('max_restarts counts restarts within the window; older ones are forgiven', () => {
  const t = new RestartTracker(policy({ max_restarts: 2 }), { windowMs: 10_000, healthyUptimeMs: 1 })
  for (const now of [0, 1_000]) {
    assert.equal(t.onExit(crash({ now, uptimeMs: 10 })).action, 'restart')
    t.onRestarted(now)
  }
  const dead = t.onExit(crash({ now: 2_000, uptimeMs: 10 }))
  assert.deepEqual(dead, { action: 'dead', reason: 'exceeded max restarts (2 within 10s)' })
  const later = new RestartTracker(policy({ max_restarts: 2 }), { windowMs: 10_000, healthyUptimeMs: 1 })
  for (const now of [0, 1_000]) {
    later.onExit(crash({ now, uptimeMs: 10 }))
    later.onRestarted(now)
  }
  assert.equal(later.onExit(crash({ now: 10_500, uptimeMs: 10 })).action, 'restart', 'the restart at t=0 left the window')
  assert.equal(later.totalRestarts, 2)
})

test('a CLI that cannot be started (127 before ready) is not retried', () => {
  const t = new RestartTracker(policy())
  assert.deepEqual(t.onExit(crash({ code: 127, wasReady: false })), { action: 'dead', reason: 'cli could not be started (exit 127)' })
  assert.equal(new RestartTracker(policy()).onExit(crash({ code: 127, wasReady: true })).action, 'restart')
})

test('an adopted agent keeps its restart count: the next restart is numbered after it', () => {
  const t = new RestartTracker(policy({ max_restarts: 10 }))
  t.carryOver(4)
  assert.equal(t.totalRestarts, 4)
  const d = t.onExit(crash())
  assert.equal(d.action, 'restart')
  assert.equal(d.action === 'restart' && d.restartCount, 5)
})
