/**
 * A program that stops reading its terminal (a TUI busy rendering) while a long message is typed:
 * the bytes are handed to the PTY once, the delivery waits for them to drain (stage `injecting`
 * when the kernel cannot take them all) instead of calling them "not typed", and ends verified —
 * one copy, one Enter.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FIXTURES, TestBroker, readJsonLines, type EventLog } from '../../e2e/harness.js'

const SLOW_READER = `node ${join(FIXTURES, 'slow-reader-cli.mjs')}`

function bodyOf(chars: number): string {
  let body = ''
  for (let n = 0; body.length < chars; n++) body += `w${n} `
  return body.slice(0, chars - 3) + 'END'
}

describe('slow raw-mode reader', () => {
  let broker: TestBroker
  let events: EventLog
  let fixtureLog: string

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-slow-reader-'))
    fixtureLog = join(dir, 'fixture.jsonl')
    broker = await new TestBroker({ stateDir: dir, env: { FIXTURE_LOG: fixtureLog } }).ready()
    events = broker.events()
    await events.opened
    await broker.spawnAgent('tui', `${SLOW_READER} --stall-ms 12000`)
    await broker.spawnAgent('bigtui', `${SLOW_READER} --stall-ms 5000`)
    await events.waitKind('worker_ready', 'tui')
    await events.waitKind('worker_ready', 'bigtui')
  })

  after(async () => {
    events?.close()
    await broker?.stop()
  })

  /** Sends `body` to `agent`, waits for the delivery's end and checks it was typed once and verified. */
  async function typedOnceAndVerified(agent: string, body: string): Promise<string[]> {
    const res = await broker.api('POST', '/api/send', { to: agent, text: body })
    assert.equal(res.status, 200, res.text)
    const id = res.body.deliveries[0].delivery_id
    const end = await events.waitFor(
      (e) => e.delivery_id === id && (e.kind === 'delivery_verified' || e.kind === 'delivery_failed' || e.kind === 'delivery_dead_lettered'),
      90_000,
      `the delivery to ${agent} to end`
    )
    const got = await broker.api('GET', `/api/deliveries/${id}`)
    const stages: string[] = got.body.history.map((h: { stage: string }) => h.stage)
    assert.equal(end.kind, 'delivery_verified', `ended ${end.kind}: ${got.body.reason} (${stages.join(',')})`)
    assert.equal(got.body.stage, 'verified')
    assert.equal(got.body.attempts, 1, 'handed to the worker once')
    assert.equal(events.all.filter((e) => e.kind === 'delivery_retry' && e.delivery_id === id).length, 0)
    if (stages.includes('injecting')) assert.ok(stages.indexOf('injecting') < stages.indexOf('injected'), stages.join(','))
    // One Enter, one copy of the text.
    const lines = readJsonLines(fixtureLog).filter((l) => l.agent === agent)
    assert.equal(lines.length, 1, `Enter pressed ${lines.length} times`)
    const line: string = lines[0].line
    assert.equal(line.split(body).length - 1, 1, 'the body is in the line exactly once')
    assert.ok(line.endsWith(body), 'nothing typed after the body')
    return stages
  }

  test('a 20 000-character message to a reader that stalls 12 s is typed exactly once and verified', async () => {
    // Both at once: the second needs more than the kernel's terminal buffers, so its bytes wait in the child.
    const [, big] = await Promise.all([typedOnceAndVerified('tui', bodyOf(20_000)), typedOnceAndVerified('bigtui', bodyOf(120_000))])
    assert.ok(big.includes('injecting'), `a write that cannot drain is reported as injecting: ${big.join(',')}`)
  })
})
