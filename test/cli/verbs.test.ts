/** The CLI verbs against a real broker: status, spawn, send, release, logs -f, attach, ui, errors. */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { BROKER_BIN, ECHO_CLI, FIXTURES, MUTE_CLI, TestBroker, waitUntil, type EventLog } from '../e2e/harness.js'
import { tempDir } from '../sdk/harness.js'
import { join } from 'node:path'

interface Run {
  child: ChildProcess
  stdout: Buffer[]
  stderr: string
  text(): string
  done: Promise<number | null>
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const e = { ...process.env, ...env }
  for (const k of ['RELAY_BROKER_URL', 'RELAY_BROKER_API_KEY']) if (!(k in env)) delete e[k]
  const child = spawn(process.execPath, [BROKER_BIN, ...args], { env: e, cwd: tempDir('relay-cli-cwd-'), stdio: ['pipe', 'pipe', 'pipe'] })
  const run: Run = {
    child,
    stdout: [],
    stderr: '',
    text: () => Buffer.concat(run.stdout).toString(),
    done: new Promise((resolve) => child.on('close', (code) => resolve(code)))
  }
  child.stdout!.on('data', (d: Buffer) => run.stdout.push(d))
  child.stderr!.on('data', (d: Buffer) => (run.stderr += d.toString()))
  return run
}

async function run(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  const r = start(args, env)
  r.child.stdin!.end()
  const code = await r.done
  return { code, out: r.text(), err: r.stderr }
}

describe('CLI verbs', () => {
  let broker: TestBroker
  let events: EventLog
  let sd: string[]

  before(async () => {
    broker = await new TestBroker().ready()
    sd = ['--state-dir', broker.stateDir]
    events = broker.events()
    await events.opened
    await broker.spawnAgent('alpha', ECHO_CLI)
    await broker.spawnAgent('mute', MUTE_CLI, { verify_window_secs: 1 })
    await events.waitKind('worker_ready', 'alpha')
    await events.waitKind('worker_ready', 'mute')
  })

  after(async () => {
    events?.close()
    await broker?.stop()
  })

  test('status: a table with every agent, its state, pids, restarts, memory and pending; --json the same data', async () => {
    const table = await run(['status', ...sd])
    assert.equal(table.code, 0, table.err)
    const lines = table.out.split('\n')
    const header = lines.find((l) => l.startsWith('NAME'))
    assert.ok(header, table.out)
    for (const col of ['CLI', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'MEM', 'PENDING']) assert.ok(header.includes(col), col)
    const listed = (await broker.api('GET', '/api/spawned')).body.agents as { name: string; pid: number; cli_pid: number }[]
    for (const a of listed) {
      const row = lines.find((l) => l.startsWith(`${a.name} `))
      assert.ok(row, `row for ${a.name}: ${table.out}`)
      assert.match(row, new RegExp(`\\b${a.pid}\\b`))
      assert.match(row, /\b(ready|busy)\b/)
    }
    const json = await run(['status', '--json', ...sd])
    assert.equal(json.code, 0, json.err)
    const parsed = JSON.parse(json.out) as { broker: { url: string }; agents: { name: string; pid: number; state: string; memory_bytes: number; pending: number; restarts: number }[] }
    assert.equal(parsed.broker.url, broker.url)
    assert.deepEqual(parsed.agents.map((a) => a.name), ['alpha', 'mute'])
    for (const a of parsed.agents) {
      assert.equal(a.pid, listed.find((l) => l.name === a.name)!.pid)
      assert.ok(a.memory_bytes > 0, 'memory measured')
      assert.equal(a.restarts, 0)
      assert.equal(typeof a.pending, 'number')
    }
  })

  test('send: stages in order and exit 0 when verified', async () => {
    const r = await run(['send', 'alpha', 'hello', 'from', 'the', 'cli', ...sd])
    assert.equal(r.code, 0, r.err + r.out)
    const order = ['accepted', 'queued', 'injected', 'verified'].map((s) => r.out.indexOf(` ${s} `))
    assert.ok(order.every((i) => i > 0), r.out)
    assert.deepEqual([...order].sort((a, b) => a - b), order, r.out)
    assert.match(r.out, /waiting for verified/)
  })

  test('send: exit 1 with the reason when the text is never seen on screen', async () => {
    const r = await run(['send', 'mute', 'nobody will see this', ...sd])
    assert.equal(r.code, 1, r.out)
    assert.match(r.out, /failed\s+\+[\d.]+s: echo not seen/)
    assert.match(r.err, /mute failed/)
  })

  test('send: exit 4 for an unknown agent', async () => {
    const r = await run(['send', 'ghost', 'hi', ...sd])
    assert.equal(r.code, 4, r.out)
    assert.match(r.err, /agent_not_found/)
  })

  test('spawn shows starting then ready; release removes; a second release is exit 4', async () => {
    const s = await run(['spawn', 'gamma', ...sd, '--', process.execPath, join(FIXTURES, 'echo-cli.mjs')])
    assert.equal(s.code, 0, s.err)
    assert.match(s.out, /gamma: starting \(pid \d+\)\ngamma: ready \(/)
    const listed = (await broker.api('GET', '/api/spawned')).body.agents as { name: string; state: string }[]
    assert.equal(listed.find((a) => a.name === 'gamma')?.state, 'ready')
    const rel = await run(['release', 'gamma', ...sd])
    assert.equal(rel.code, 0, rel.err)
    assert.match(rel.out, /gamma: released/)
    const again = await run(['release', 'gamma', ...sd])
    assert.equal(again.code, 4, again.out)
    assert.match(again.err, /no agent named 'gamma'/)
  })

  test('attach --mode view writes exactly the snapshot, never types, and detaches on Ctrl-]', async () => {
    const a = start(['attach', 'alpha', '--mode', 'view', ...sd])
    await waitUntil(() => a.stderr.includes('[attached to alpha (view'), 10_000, 'attached')
    const snap = await broker.api('GET', '/api/spawned/alpha/snapshot?format=ansi')
    const before = (await broker.api('GET', '/api/spawned/alpha/snapshot?format=plain')).body.screen as string
    a.child.stdin!.write('typed while viewing\r')
    await new Promise((r) => setTimeout(r, 500))
    a.child.stdin!.write(Buffer.from([0x1d]))
    assert.equal(await a.done, 0, a.stderr)
    assert.ok(Buffer.concat(a.stdout).equals(Buffer.from(snap.body.screen as string, 'base64')), 'attach output equals the ansi snapshot')
    const afterScreen = (await broker.api('GET', '/api/spawned/alpha/snapshot?format=plain')).body.screen as string
    assert.equal(afterScreen, before, 'view mode typed nothing')
    assert.match(a.stderr, /\[detached\]/)
  })

  test('attach --mode drive types keys into the agent', async () => {
    const a = start(['attach', 'alpha', '--mode', 'drive', ...sd])
    await waitUntil(() => a.stderr.includes('[attached to alpha (drive'), 10_000, 'attached')
    a.child.stdin!.write('driven 77\r')
    await waitUntil(() => Buffer.concat(a.stdout).toString().includes('got: driven 77'), 10_000, 'the echo in the mirrored output')
    a.child.stdin!.write(Buffer.from([0x1d]))
    assert.equal(await a.done, 0, a.stderr)
  })

  test('logs -f prints the history, then follows new deliveries live', async () => {
    const l = start(['logs', 'alpha', '-f', ...sd])
    await waitUntil(() => l.text().includes('alpha: ready'), 10_000, 'replayed history')
    const sent = await broker.api('POST', '/api/send', { to: 'alpha', text: 'follow this one' })
    const id = sent.body.deliveries[0].delivery_id as string
    await waitUntil(() => l.text().includes(`delivery ${id}: verified`), 15_000, 'the live verified line')
    assert.match(l.text(), new RegExp(`\\d\\d:\\d\\d:\\d\\d \\[\\d+\\] alpha: delivery ${id}: injected`))
    l.child.kill('SIGINT')
    assert.equal(await l.done, 0, l.stderr)
  })

  test('ui prints the page URL with the key in the fragment', async () => {
    const r = await run(['ui', ...sd])
    assert.equal(r.code, 0, r.err)
    assert.equal(r.out.trim(), `${broker.url}/ui/#key=${encodeURIComponent(broker.apiKey)}`)
  })

  test('no broker: exit 3 with a clear message; --help for every verb', async () => {
    const none = await run(['status', '--state-dir', tempDir('relay-cli-none-')])
    assert.equal(none.code, 3)
    assert.match(none.err, /no broker found/)
    const closed = await run(['send', 'a', 'b', '--broker-url', 'http://127.0.0.1:9', '--api-key', 'x'])
    assert.equal(closed.code, 3)
    assert.match(closed.err, /no broker answers at http:\/\/127\.0\.0\.1:9/)
    const wrongKey = await run(['status', '--broker-url', broker.url, '--api-key', 'wrong'])
    assert.equal(wrongKey.code, 3)
    assert.match(wrongKey.err, /401/)
    for (const verb of ['status', 'spawn', 'send', 'release', 'logs', 'attach', 'ui']) {
      const h = await run([verb, '--help'])
      assert.equal(h.code, 0, verb)
      assert.match(h.out, new RegExp(`^usage: broker ${verb}`), verb)
    }
    const usage = await run(['attach', 'alpha', '--mode', 'type', ...sd])
    assert.equal(usage.code, 2)
  })
})
