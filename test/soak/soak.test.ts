/** The 30-second soak inside `npm test`: child kills, one supervisor restart, nothing lost, nothing typed twice, nothing failed by the supervisor's death. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatSoak, runSoak } from './soak.js'

test('short soak: every delivery ends with a reason, none lost, none typed twice', { timeout: 120_000 }, async () => {
  const r = await runSoak({ agents: 5, messages: 120, sendMs: 18_000, killEveryMs: 2_000, supervisorRestarts: 1, drainMs: 30_000 })
  const table = formatSoak(r)
  assert.ok(r.accepted >= 120, table)
  assert.equal(r.lost, 0, table)
  assert.equal(r.duplicates, 0, table)
  assert.equal(r.failedBySupervisor, 0, `no delivery fails because the supervisor died (its agents are adopted):\n${table}`)
  assert.ok((r.byStage.verified ?? 0) > r.accepted / 2, `most deliveries verified:\n${table}`)
})
