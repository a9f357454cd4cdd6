/** Crash insights: the classification table, the store's cap and persistence, health and patterns. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CrashInsights, classifyExit } from '../../../src/supervisor/observe/crash-insights.js'
import { CRASH_INSIGHTS_MAX_RECORDS } from '../../../src/supervisor/observe/crash-insights.js'

test('classification: signals first, then exit codes', () => {
  const c = (code: number | null, signal: string | null) => classifyExit(code, signal).category
  assert.equal(c(null, '11'), 'segfault')
  assert.equal(c(null, 'SIGSEGV'), 'segfault')
  assert.equal(c(null, '9'), 'oom')
  assert.equal(c(137, '15'), 'signal', 'a signal wins over the code')
  assert.equal(c(137, null), 'oom')
  assert.equal(c(139, null), 'segfault')
  assert.equal(c(3, null), 'error')
  assert.equal(classifyExit(3, null).description, 'Exited with code 3')
  assert.equal(c(0, null), 'unknown')
  assert.equal(c(null, null), 'unknown')
})

test('records are written atomically, survive a reload, and are capped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-crash-'))
  const path = join(dir, 'crash-insights.json')
  const store = new CrashInsights(path)
  const rec = store.record({ agent: 'a', code: 3, signal: null, uptimeMs: 1_500, lastOutput: 'boom', outcome: 'restart' })
  assert.equal(rec.uptime_secs, 1)
  assert.equal(rec.uptime_ms, 1_500)
  await store.save()
  assert.equal(statSync(path).mode & 0o777, 0o600)
  const onDisk = JSON.parse(readFileSync(path, 'utf8'))
  assert.equal(onDisk.records[0].exit_code, 3)
  assert.equal(onDisk.records[0].last_output, 'boom')
  assert.equal(onDisk.max_records, CRASH_INSIGHTS_MAX_RECORDS)

  for (let i = 0; i < CRASH_INSIGHTS_MAX_RECORDS + 10; i++) store.record({ agent: `b${i % 3}`, code: null, signal: '9', uptimeMs: 10, lastOutput: null, outcome: null })
  await store.save()
  const reloaded = new CrashInsights(path)
  assert.equal(reloaded.count, CRASH_INSIGHTS_MAX_RECORDS)
  assert.equal(reloaded.summary().recent.length, 20)
})

test('summary: health score from crashes in the last hour, patterns by count', () => {
  const store = new CrashInsights(null)
  const now = Date.now()
  store.record({ agent: 'x', code: 1, signal: null, uptimeMs: 0, lastOutput: null, outcome: null, now: now - 2 * 3_600_000 })
  store.record({ agent: 'x', code: 2, signal: null, uptimeMs: 0, lastOutput: null, outcome: null, now })
  store.record({ agent: 'y', code: 2, signal: null, uptimeMs: 0, lastOutput: null, outcome: null, now })
  store.record({ agent: 'y', code: null, signal: '15', uptimeMs: 0, lastOutput: null, outcome: null, now })
  const s = store.summary(now)
  assert.equal(s.total_crashes, 4)
  assert.equal(s.health_score, 70, 'three crashes within the hour')
  assert.deepEqual(s.patterns[0], { category: 'error', count: 3, agents: ['x', 'y'] })
  assert.deepEqual(s.patterns[1], { category: 'signal', count: 1, agents: ['y'] })
  for (let i = 0; i < 20; i++) store.record({ agent: 'z', code: 1, signal: null, uptimeMs: 0, lastOutput: null, outcome: null, now })
  assert.equal(store.summary(now).health_score, 0, 'floored at 0')
})
