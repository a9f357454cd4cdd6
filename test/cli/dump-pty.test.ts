/** `broker dump-pty`: finds the broker (flags, env, connection.json) and prints an agent's screen. */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { BROKER_BIN, ECHO_CLI, TestBroker, waitUntil, type EventLog } from '../e2e/harness.js'
import { tempDir } from '../sdk/harness.js'

function run(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, ...opts.env }
    for (const k of ['RELAY_BROKER_URL', 'RELAY_BROKER_API_KEY']) if (!opts.env || !(k in opts.env)) delete env[k]
    const child = spawn(process.execPath, [BROKER_BIN, 'dump-pty', ...args], { env, cwd: opts.cwd ?? tempDir('relay-dump-cwd-') })
    const out: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }))
  })
}

describe('broker dump-pty', () => {
  let broker: TestBroker
  let events: EventLog

  before(async () => {
    broker = await new TestBroker().ready()
    events = broker.events()
    await events.opened
    await broker.spawnAgent('dumpee', ECHO_CLI)
    await events.waitKind('worker_ready', 'dumpee')
    await broker.api('POST', '/api/input/dumpee', { data: 'screen marker 42\r' })
    await waitUntil(() => events.all.some((e) => e.kind === 'worker_stream' && String(e.chunk).includes('got: screen marker 42')), 10_000, 'the echo')
  })

  after(async () => {
    events?.close()
    await broker?.stop()
  })

  test('connection.json from --state-dir: plain text rows', async () => {
    const res = await run(['dumpee', '--state-dir', broker.stateDir])
    assert.equal(res.code, 0, res.stderr)
    assert.match(res.stdout.toString(), /got: screen marker 42/)
  })

  test('--format ansi writes the redraw byte stream', async () => {
    const res = await run(['dumpee', '--format', 'ansi', '--state-dir', broker.stateDir])
    assert.equal(res.code, 0, res.stderr)
    assert.equal(res.stdout[0], 0x1b, 'starts with an escape sequence')
    assert.match(res.stdout.toString(), /screen marker 42/)
  })

  test('--broker-url and --api-key, or RELAY_BROKER_URL + RELAY_BROKER_API_KEY', async () => {
    const flags = await run(['dumpee', '--broker-url', broker.url, '--api-key', broker.apiKey])
    assert.equal(flags.code, 0, flags.stderr)
    assert.match(flags.stdout.toString(), /screen marker 42/)
    const env = await run(['dumpee'], { env: { RELAY_BROKER_URL: broker.url, RELAY_BROKER_API_KEY: broker.apiKey } })
    assert.equal(env.code, 0, env.stderr)
    assert.match(env.stdout.toString(), /screen marker 42/)
  })

  test('errors: unknown agent, wrong key, no broker, bad format', async () => {
    const ghost = await run(['ghost', '--state-dir', broker.stateDir])
    assert.equal(ghost.code, 1)
    assert.match(ghost.stderr, /404: agent_not_found: no worker named 'ghost'/)
    const badKey = await run(['dumpee', '--broker-url', broker.url, '--api-key', 'br_wrong'])
    assert.equal(badKey.code, 1)
    assert.match(badKey.stderr, /401/)
    const nowhere = await run(['dumpee'])
    assert.equal(nowhere.code, 1)
    assert.match(nowhere.stderr, /no broker found/)
    const format = await run(['dumpee', '--format', 'html', '--state-dir', broker.stateDir])
    assert.equal(format.code, 2)
    const none = await run([])
    assert.equal(none.code, 2)
  })
})
