/** End to end: a real broker, real `broker pty` children, a fixture CLI in real PTYs. */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, MUTE_CLI, TestBroker, pidAlive, readJsonLines, type EventLog } from './harness.js'

/** How long a test waits for a program's reply to a verified message to reach its screen. */
const SCREEN_POLLS = 100
const SCREEN_POLL_MS = 100

/** The agent's (unwrapped) screen once it matches `re`, or the last one seen after the bounded wait. */
async function screenShowing(broker: TestBroker, name: string, re: RegExp): Promise<string> {
  let screen = ''
  for (let i = 0; i < SCREEN_POLLS && !re.test(screen); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, SCREEN_POLL_MS))
    const snap = await broker.api('GET', `/api/spawned/${name}/snapshot`)
    assert.equal(snap.status, 200)
    screen = unwrap(snap.body.screen)
  }
  return screen
}

/** A plain snapshot with the 80-column soft wraps (and line ends) removed. */
function unwrap(screen: string): string {
  return screen.replace(/\n/g, '')
}

describe('broker end to end', () => {
  let broker: TestBroker
  let events: EventLog
  let fixtureLog: string

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-e2e-'))
    fixtureLog = join(dir, 'fixture.jsonl')
    // The fixture CLIs log every line they receive there (children inherit the broker env).
    broker = new TestBroker({ stateDir: dir, env: { FIXTURE_LOG: fixtureLog } })
    await broker.ready()
    events = broker.events()
    await events.opened
  })

  after(async () => {
    events?.close()
    await broker?.stop()
  })

  test('DM: queued → injected → verified in order, and the fixture really got the text', async () => {
    const a = await broker.spawnAgent('alice', ECHO_CLI)
    const b = await broker.spawnAgent('bob', ECHO_CLI)
    assert.equal(a.success, true)
    assert.ok(a.pid > 0 && b.pid > 0)
    await events.waitKind('worker_ready', 'alice')
    await events.waitKind('worker_ready', 'bob')

    const res = await broker.api('POST', '/api/send', { to: 'alice', text: 'hello alice', from: 'carol' })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body.targets, ['alice'])
    const deliveryId = res.body.deliveries[0].delivery_id
    assert.match(deliveryId, /^del_[0-9a-f]{32}$/)

    const verified = await events.waitFor((e) => e.kind === 'delivery_verified' && e.delivery_id === deliveryId)
    const mine = events.all.filter((e) => e.delivery_id === deliveryId).map((e) => e.kind)
    const order = ['delivery_queued', 'delivery_injected', 'delivery_verified'].map((k) => mine.indexOf(k))
    assert.ok(order.every((i) => i >= 0), `all stages seen: ${mine}`)
    assert.deepEqual([...order].sort((x, y) => x - y), order, `stages in order: ${mine}`)
    assert.equal(verified.name, 'alice')

    const gotDm = /got: Relay message from carol \[local \/ http_[0-9a-f]{32}\]: hello alice/
    assert.match(await screenShowing(broker, 'alice', gotDm), gotDm)
    const received = readJsonLines(fixtureLog).filter((l) => l.agent === 'alice' && l.line.endsWith(': hello alice'))
    assert.equal(received.length, 1, 'the fixture received the DM exactly once')
    assert.equal(received[0].line, `Relay message from carol [local / ${res.body.event_id}]: hello alice`)
  })

  test('channel post reaches every subscriber', async () => {
    const res = await broker.api('POST', '/api/send', { to: '#general', text: 'all hands' })
    assert.equal(res.status, 200)
    assert.deepEqual([...res.body.targets].sort(), ['alice', 'bob'])
    for (const d of res.body.deliveries) {
      await events.waitFor((e) => e.kind === 'delivery_verified' && e.delivery_id === d.delivery_id)
    }
    // verified means the relay line is on the agent's screen; the fixture's own "got:" reply to it
    // follows once the program has read the line, so wait (bounded) for that reply too
    const got = /got: Relay message from tester in #general \[local \/ http_[0-9a-f]{32}\]: all hands/
    for (const name of ['alice', 'bob']) assert.match(await screenShowing(broker, name, got), got)
  })

  test('a message to nobody is a 404, not a silent success', async () => {
    const res = await broker.api('POST', '/api/send', { to: 'ghost', text: 'anyone?' })
    assert.equal(res.status, 404)
    assert.equal(res.body.success, false)
    assert.match(res.body.error, /Agent "ghost" not found/)
    const ch = await broker.api('POST', '/api/send', { to: '#nobody-here', text: 'anyone?' })
    assert.equal(ch.status, 404)
  })

  test('an agent whose CLI never echoes ends failed with a reason, never verified', async () => {
    await broker.spawnAgent('mute', MUTE_CLI, { verify_window_secs: 1 })
    const res = await broker.api('POST', '/api/send', { to: 'mute', text: 'can you hear me' })
    const id = res.body.deliveries[0].delivery_id
    const failed = await events.waitFor((e) => e.kind === 'delivery_failed' && e.delivery_id === id, 15_000)
    assert.match(String(failed.reason), /echo not seen/)
    assert.equal(events.all.filter((e) => e.kind === 'delivery_verified' && e.delivery_id === id).length, 0)
    const mdf = await events.waitFor((e) => e.kind === 'message_delivery_failed' && e.delivery_id === id)
    assert.match(String(mdf.lastError), /echo not seen/)
  })

  test('release: agent_exited (reason released) then agent_released, and the child process tree is gone', async () => {
    const list = await broker.api('GET', '/api/spawned')
    const bob = list.body.agents.find((a: any) => a.name === 'bob')
    assert.ok(bob && bob.pid > 0 && bob.cli_pid > 0)
    const res = await broker.api('DELETE', '/api/spawned/bob')
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { success: true, name: 'bob' })
    const exited = await events.waitKind('agent_exited', 'bob')
    assert.ok('code' in exited && 'signal' in exited)
    assert.equal(exited.reason, 'released')
    assert.equal(events.all.filter((e) => e.kind === 'agent_exit').length, 0)
    await events.waitKind('agent_released', 'bob')
    assert.equal(pidAlive(bob.pid), false, 'pty child gone')
    assert.equal(pidAlive(bob.cli_pid), false, 'agent CLI gone')
    const again = await broker.api('GET', '/api/spawned')
    assert.equal(again.body.agents.some((a: any) => a.name === 'bob'), false)
    // Releasing again: the agent is gone, a 404 with a code both SDK lines surface.
    const again404 = await broker.api('DELETE', '/api/spawned/bob')
    assert.equal(again404.status, 404)
    assert.equal(again404.body.code, 'agent_not_found')
  })

  test('a CLI that does not exist is a clear error and the broker carries on', async () => {
    const res = await broker.api('POST', '/api/spawn', { name: 'nope', cli: 'definitely-not-a-real-cli-xyz' })
    assert.equal(res.status, 400)
    assert.equal(res.body.success, false)
    assert.match(res.body.error, /not found/)
    assert.equal((await broker.api('GET', '/health')).status, 200)
  })
})
