/**
 * The SDK's `AgentRelay` facade on our broker, without Relaycast: with `RELAY_API_KEY` set in its
 * env the facade never calls Relaycast's createWorkspace, and everything else it needs comes from
 * the broker (`targets` in the send reply, `message_delivery_*` events, `relay_inbound` from agents).
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { AgentRelay } from '@agent-relay/sdk/relay'
import { BROKER_BIN, ECHO_CLI, MUTE_CLI, pidAlive, readJsonLines } from '../e2e/harness.js'
import { tempDir } from './harness.js'

/** An agent CLI that posts to `#general` through the agent API with its own token, then idles. */
const CHATTY_AGENT = `
fetch(process.env.RELAY_BROKER_URL + '/api/agent/send', {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-agent-token': process.env.RELAY_AGENT_TOKEN },
  body: JSON.stringify({ to: '#general', text: 'hello team, chatty here' })
})
setInterval(() => {}, 1000)
`

describe('AgentRelay facade (Relaycast-free)', () => {
  let dir: string
  let relay: AgentRelay
  let fixtureLog: string

  before(() => {
    dir = tempDir('relay-facade-')
    fixtureLog = join(dir, 'fixture.jsonl')
    relay = new AgentRelay({
      binaryPath: BROKER_BIN,
      brokerName: 'facade',
      cwd: dir,
      channels: ['general'],
      binaryArgs: { stateDir: dir },
      env: { ...process.env, RELAY_API_KEY: 'rk_local_offline', FIXTURE_LOG: fixtureLog, RELAY_LOG_FORMAT: 'json' }
    })
  })

  after(async () => {
    await relay?.shutdown()
  })

  test('spawnAndWait, then sendAndWaitForDelivery resolves ack for a verified delivery', async () => {
    const agent = await relay.spawnAndWait('f1', ECHO_CLI, '', { channels: ['general'], timeoutMs: 15_000 })
    assert.equal(agent.name, 'f1')
    const result = await relay.sendAndWaitForDelivery({ to: 'f1', text: 'through the facade' }, 15_000)
    assert.equal(result.status, 'ack')
    assert.deepEqual(result.targets, ['f1'])
    const lines = readJsonLines(fixtureLog).filter((l) => l.agent === 'f1').map((l) => l.line as string)
    assert.ok(lines.some((l) => l.endsWith(`[local / ${result.eventId}]: through the facade`)), lines.join('\n'))
  })

  test('sendAndWaitForDelivery reports failed when the text never shows on screen', async () => {
    await relay.spawnAndWait('mute', MUTE_CLI, '', { channels: ['quiet'], timeoutMs: 15_000 })
    const result = await relay.sendAndWaitForDelivery({ to: 'mute', text: 'nobody will echo this' }, 15_000)
    assert.equal(result.status, 'failed')
  })

  test('waitForAgentMessage sees an agent speak through the agent API', async () => {
    const waiting = relay.waitForAgentMessage('chatty', 15_000)
    await relay.spawn('chatty', 'node', '', { args: ['-e', CHATTY_AGENT], channels: ['general'] })
    const agent = await waiting
    assert.equal(agent.name, 'chatty')
    const status = await relay.getStatus()
    assert.ok(status.agents.some((a) => a.name === 'chatty'))
  })

  test('shutdown stops the broker', async () => {
    const raw = await relay.listAgentsRaw()
    assert.ok(raw.length >= 2)
    const pids = raw.map((a) => a.pid!).filter((p) => p > 0)
    await relay.shutdown()
    for (const pid of pids) assert.equal(pidAlive(pid), false, `agent child ${pid} is gone`)
  })
})
