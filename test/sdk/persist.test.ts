/**
 * `--persist` through the SDK: channel subscriptions made with subscribe/unsubscribe, and the
 * agent's token, come back when a broker is started again on the same state dir after the
 * previous one died (SIGKILL: no graceful shutdown emptied the state).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ECHO_CLI, pidAlive, waitUntil } from '../e2e/harness.js'
import { Seen, spawnBroker, tempDir } from './harness.js'

test('subscribe/unsubscribe survive a broker restart in --persist mode', async () => {
  const dir = tempDir('relay-sdk-persist-')
  const first = await spawnBroker({ dir, persist: true })
  let second: Awaited<ReturnType<typeof spawnBroker>> | undefined
  try {
    assert.equal((await first.getSession()).mode, 'persist')
    assert.deepEqual(await first.renewLease(), { renewed: true, expires_in_secs: 0, persist: true })
    const seen = new Seen(first)
    await first.spawnPty({ name: 'keeper', cli: ECHO_CLI, channels: ['general', 'engineering'] })
    await seen.kind('worker_ready', 'keeper')
    await first.subscribeChannels('keeper', ['ops', '#review'])
    await first.unsubscribeChannels('keeper', ['general'])
    const token = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).agents.keeper.agent_token
    assert.match(token, /^at_[0-9a-f]{32}$/)

    const pid = first.brokerPid!
    process.kill(pid, 'SIGKILL')
    await waitUntil(() => !pidAlive(pid), 5_000, 'the first broker to die')
    first.disconnect()

    second = await spawnBroker({ dir, persist: true })
    const seen2 = new Seen(second)
    let keeper: { channels: string[] } | undefined
    for (let i = 0; i < 150 && !keeper; i++) {
      keeper = (await second.listAgents()).find((a) => a.name === 'keeper')
      if (!keeper) await new Promise((r) => setTimeout(r, 100))
    }
    assert.ok(keeper, 'the agent is back after the restart')
    assert.deepEqual(keeper.channels, ['engineering', 'ops', '#review'])
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))
    assert.equal(state.agents.keeper.agent_token, token, 'the agent keeps its token')
    await seen2.kind('worker_ready', 'keeper')
    const res = await second.sendMessage({ to: '#review', text: 'review after restart' })
    assert.deepEqual(res.targets, ['keeper'])
    await seen2.waitFor((e) => e.kind === 'delivery_verified' && e.event_id === res.event_id, 'delivery to the restarted agent')
  } finally {
    if (first.brokerPid && pidAlive(first.brokerPid)) await first.shutdown()
    if (second) await second.shutdown()
  }
})
