/**
 * The published @agent-relay/harness-driver 9.1.6 `HarnessDriverClient` (the 9.x successor of
 * AgentRelayClient), unchanged, starts and drives our bin/broker: every public method that needs
 * no cloud account, with results and events checked (issue 18).
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { HarnessDriverClient, HarnessDriverProtocolError } from '@agent-relay/harness-driver'
import { BROKER_BIN, FIXTURES, pidAlive, readJsonLines, waitUntil } from '../e2e/harness.js'
import { Seen, tempDir } from './harness.js'

const ECHO = join(FIXTURES, 'echo-cli.mjs')
const RESULT_CLI = join(FIXTURES, 'result-cli.mjs')
const squash = (t: string) => t.replace(/\s+/g, '')

async function rejects(p: Promise<unknown>): Promise<HarnessDriverProtocolError> {
  try {
    await p
  } catch (err) {
    assert.ok(err instanceof HarnessDriverProtocolError, `expected a HarnessDriverProtocolError, got ${err}`)
    return err
  }
  assert.fail('expected the call to fail')
}

describe('HarnessDriverClient 9.1.6 against bin/broker', () => {
  let dir: string
  let fixtureLog: string
  let envOut: string
  let client: HarnessDriverClient
  let seen: Seen
  const linesOf = (agent: string) => readJsonLines(fixtureLog).filter((l) => l.agent === agent && typeof l.line === 'string').map((l) => l.line as string)

  before(async () => {
    dir = tempDir('relay-hd-')
    fixtureLog = join(dir, 'fixture.jsonl')
    envOut = join(dir, 'env')
    mkdirSync(envOut)
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    // `claude` on the broker's PATH is the fake stream-json provider (headless) — the 9.x client
    // only sends headless spawns for the literal cli names claude and opencode.
    writeFileSync(join(bin, 'claude'), `#!/bin/sh\nexec "${process.execPath}" "${join(FIXTURES, 'fake-provider.mjs')}" "$@"\n`)
    chmodSync(join(bin, 'claude'), 0o755)
    writeFileSync(join(bin, 'opencode'), `#!/bin/sh\nexec "${process.execPath}" "${join(FIXTURES, 'fake-provider-opencode.mjs')}" "$@"\n`)
    chmodSync(join(bin, 'opencode'), 0o755)
    // The default spawn: no binaryArgs, so the broker gets exactly the 9.x `init --instance-name …
    // --workspace-key … --channels …` command line and its AGENT_RELAY_* / RELAY_* variables.
    client = await HarnessDriverClient.spawn({
      binaryPath: BROKER_BIN,
      cwd: dir,
      brokerName: 'hd-broker',
      workspaceKey: 'rk_live_not_a_real_key',
      channels: ['general'],
      env: { ...process.env, RELAY_LOG_FORMAT: 'json', FIXTURE_LOG: fixtureLog, ENV_OUT_DIR: envOut, PATH: `${bin}:${process.env.PATH}` },
      startupTimeoutMs: 20_000,
      requestTimeoutMs: 20_000
    })
    seen = new Seen(client)
    client.connectEvents()
  })

  after(async () => {
    seen?.off()
    if (client?.brokerPid && pidAlive(client.brokerPid)) await client.shutdown()
  })

  test('spawn() with the 9.x init arguments: session says local workspace, key received; health, config, status, lease', async () => {
    const session = await client.getSession()
    assert.equal(session.protocol_version, 2)
    assert.equal((session as any).broker_name, 'hd-broker', '--instance-name is the broker name')
    assert.equal(session.workspace_key, null, 'no workspace was joined with the key')
    assert.deepEqual((session as any).workspace, { id: 'local', kind: 'local', cloud: false, key_received: true })
    assert.equal(client.workspaceKey, null)
    assert.equal((await client.healthCheck()).service, 'agent-relay-listen')
    assert.equal(((await client.getConfig()) as any).defaultWorkspaceId, 'local')
    const status = await client.getStatus()
    assert.equal(status.auth?.workspaces[0]?.self_name, 'hd-broker')
    assert.equal((await client.renewLease()).renewed, true)
    assert.deepEqual(await client.preflight([{ name: 'pf', cli: 'claude' }]), { queued: 1 })
    assert.ok(!JSON.stringify(await client.getStatus()).includes('rk_live_not_a_real_key'), 'the key is not echoed')
  })

  test('spawnPty: handle with sessionId and pid; agent_spawned and worker_ready carry them; listAgents; hooks run', async () => {
    const hooks: string[] = []
    const before = () => {
      hooks.push('before')
    }
    const after = (ctx: { result?: { name: string } }) => {
      hooks.push(`after:${ctx.result?.name}`)
    }
    client.addListener('beforeAgentSpawn', before)
    client.addListener('afterAgentSpawn', after)
    const alice = await client.spawnPty({ name: 'alice', cli: 'node', args: [ECHO], channels: ['general'] })
    client.removeListener('beforeAgentSpawn', before)
    client.removeListener('afterAgentSpawn', after)
    assert.deepEqual(hooks, ['before', 'after:alice'])
    assert.equal(alice.name, 'alice')
    assert.equal(alice.runtime, 'pty')
    assert.match(alice.sessionId ?? '', /^ses_[0-9a-f]{32}$/)
    assert.ok((alice.pid ?? 0) > 0)
    const spawned = await seen.kind('agent_spawned', 'alice')
    assert.equal(spawned.sessionId, alice.sessionId)
    const ready = await seen.kind('worker_ready', 'alice')
    assert.equal(ready.sessionId, alice.sessionId)
    assert.equal(ready.pid, alice.pid)
    const listed = (await client.listAgents()).find((a) => a.name === 'alice')!
    assert.equal(listed.sessionId, alice.sessionId)
    assert.deepEqual(listed.channels, ['general'])
    assert.equal(client.queryEvents({ kind: 'agent_spawned', name: 'alice' }).length, 1)
    assert.equal(client.getLastEvent('worker_ready', 'alice')?.kind, 'worker_ready')
  })

  test('sendMessage: delivery_verified with verification "echo", then delivery_read_ack marked; snapshot shows it', async () => {
    const res = await client.sendMessage({ to: 'alice', text: 'hello from nine', from: 'tester' })
    assert.deepEqual(res.targets, ['alice'])
    const verified = await seen.waitFor((e) => e.kind === 'delivery_verified' && e.event_id === res.event_id, 'delivery_verified')
    assert.equal(verified.verification, 'echo')
    const read = await seen.waitFor((e: any) => e.kind === 'delivery_read_ack' && e.event_id === res.event_id, 'delivery_read_ack')
    assert.equal(read.status, 'marked')
    assert.equal(read.delivery_id, verified.delivery_id)
    assert.ok(read.seq > verified.seq)
    const snap = await client.snapshot('alice')
    assert.ok(squash(snap.screen).includes(squash('hello from nine')), snap.screen)
    assert.equal((await client.snapshot('alice', 'ansi')).format, 'ansi')
  })

  test('sendInput, subscribeWorkerStream, openInputStream, resizePty', async () => {
    const stream = client.subscribeWorkerStream('alice', { stream: 'stdout' })[Symbol.asyncIterator]()
    assert.deepEqual(await client.sendInput('alice', 'typed by nine\r'), { name: 'alice', bytes_written: 14 })
    let out = ''
    while (!out.includes('got: typed by nine')) {
      const next = await Promise.race([stream.next(), new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no stream output: ${out}`)), 10_000))])
      out += next.value
    }
    await stream.return?.()
    const input = client.openInputStream('alice')
    await input.waitUntilOpen()
    const acks = await Promise.all(['nine one\r', 'nine two\r'].map((d) => input.send(d)))
    assert.deepEqual(acks.map((a) => a.bytes_written), [9, 9])
    input.close()
    await waitUntil(() => linesOf('alice').includes('nine two'), 5_000, 'the streamed lines')
    assert.deepEqual(await client.resizePty('alice', 30, 100), { name: 'alice', rows: 30, cols: 100 })
  })

  test('delivery modes, pending, flush; setModel; channels; metrics and crash insights', async () => {
    assert.equal(await client.getInboundDeliveryMode('alice'), 'auto_inject')
    assert.deepEqual(await client.setInboundDeliveryMode('alice', 'manual_flush'), { mode: 'manual_flush', flushed: 0 })
    await client.sendMessage({ to: 'alice', text: 'parked for nine' })
    const pending = await client.getPending('alice')
    assert.equal(pending.length, 1)
    assert.equal(pending[0]!.body, 'parked for nine')
    assert.deepEqual(await client.flushPending('alice'), { flushed: 1 })
    await client.setInboundDeliveryMode('alice', 'auto_inject')
    assert.deepEqual(await client.setModel('alice', 'sonnet', { timeoutMs: 5_000 }), { name: 'alice', model: 'sonnet', success: true })
    await waitUntil(() => linesOf('alice').includes('/model sonnet'), 5_000, 'the /model line')
    await client.subscribeChannels('alice', ['ops'])
    assert.deepEqual((await seen.kind('channel_subscribed', 'alice')).channels, ['ops'])
    await client.unsubscribeChannels('alice', ['ops'])
    assert.deepEqual((await seen.kind('channel_unsubscribed', 'alice')).channels, ['ops'])
    assert.deepEqual((await client.getMetrics('alice')).agents.map((a) => a.name), ['alice'])
    assert.equal(typeof (await client.getCrashInsights()).health_score, 'number')
  })

  test('waitForIdle, then release: waitForExit has the code/signal of the exit; a second release is 404 agent_not_found', async () => {
    const idler = await client.spawnPty({ name: 'idler', cli: 'node', args: [ECHO], idleThresholdSecs: 1 })
    const idle = await idler.waitForIdle(15_000)
    assert.equal(idle.reason, 'idle')
    const released: string[] = []
    client.addListener('afterAgentRelease', (ctx: { name: string; error?: Error }) => {
      released.push(`${ctx.name}:${ctx.error ? 'error' : 'ok'}`)
    })
    await idler.release('done')
    const exit = await idler.waitForExit(10_000)
    assert.equal(exit.reason, 'exited')
    const exited = client.getLastEvent('agent_exited', 'idler')!
    assert.equal((exited as any).reason, 'released')
    assert.ok('code' in exited && 'signal' in exited, 'the code/signal of the released process are there')
    assert.deepEqual(exit, { reason: 'exited', code: (exited as any).code, signal: (exited as any).signal })
    const again = await rejects(client.release('idler'))
    assert.equal(again.code, 'agent_not_found')
    assert.equal(again.status, 404)
    assert.deepEqual(released, ['idler:ok', 'idler:error'])
  })

  test('waitForExit with the real code; a crash that is restarted is not an exit', async () => {
    const three = await client.spawnPty({ name: 'three', cli: 'node', args: [ECHO, '--exit-code', '3', '--exit-after-ms', '600'], restartPolicy: { enabled: false } })
    assert.deepEqual(await three.waitForExit(15_000), { reason: 'exited', code: 3, signal: null })
    assert.equal(three.exitCode, 3)
    assert.equal(three.exitSignal, null)
    assert.deepEqual(three.exit, { reason: 'exited', code: 3, signal: null })

    const phoenix = await client.spawnPty({
      name: 'phoenix',
      cli: 'node',
      args: [ECHO, '--exit-code', '5', '--exit-after-ms', '600'],
      restartPolicy: { enabled: true, max_restarts: 1, cooldown_ms: 300, max_consecutive_failures: 5 }
    })
    const exit = await phoenix.waitForExit(30_000)
    const kinds = seen.all.filter((e) => e.name === 'phoenix').map((e) => e.kind)
    assert.ok(kinds.indexOf('agent_restarting') >= 0 && kinds.indexOf('agent_restarted') > kinds.indexOf('agent_restarting'), kinds.join(','))
    assert.ok(kinds.indexOf('agent_exited') > kinds.indexOf('agent_restarted'), 'the wait resolved on the final exit, after the restart')
    assert.deepEqual(exit, { reason: 'exited', code: 5, signal: null })
    assert.equal(kinds.filter((k) => k === 'agent_exited').length, 1)
    assert.equal(kinds.includes('agent_exit'), false)
  })

  test('task-exit PTY agent with agentResultSchema: an invalid result is refused with a clear error, a valid one resolves waitForResult, then it exits 0', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'], additionalProperties: false }
    const tasker = await client.spawnPty({
      name: 'tasker',
      cli: 'node',
      args: [RESULT_CLI],
      task: 'RESULT {"answer":"forty-two"}',
      spawnMode: 'task_exit',
      exitAfterTask: true,
      agentResultSchema: schema
    })
    await waitUntil(() => readJsonLines(fixtureLog).some((l) => l.agent === 'tasker' && l.kind === 'result'), 15_000, 'the invalid result')
    const refused = readJsonLines(fixtureLog).find((l) => l.agent === 'tasker' && l.kind === 'result')!
    assert.equal(refused.status, 422)
    assert.equal(refused.body.code, 'result_schema_mismatch')
    assert.match(refused.body.message, /answer: .*expected number/)
    assert.deepEqual(refused.body.result_schema, schema, 'the agent is told what was asked for')
    assert.deepEqual(await tasker.waitForResult(500), { reason: 'timeout' }, 'an invalid result is not a result')
    assert.equal(client.queryEvents({ kind: 'agent_exited', name: 'tasker' }).length, 0, 'nor does it end the task')

    await client.sendMessage({ to: 'tasker', text: 'RESULT {"answer":42}' })
    const result = await tasker.waitForResult(15_000)
    assert.equal(result.reason, 'result')
    assert.deepEqual((result as any).data, { answer: 42 })
    assert.equal((result as any).final, true)
    assert.match((result as any).resultId, /^res_[0-9a-f]{32}$/)
    assert.deepEqual(await tasker.waitForExit(15_000), { reason: 'exited', code: 0, signal: null })
    assert.equal((client.getLastEvent('agent_exited', 'tasker') as any).reason, 'task_complete')
    assert.equal(client.queryEvents({ kind: 'agent_result', name: 'tasker' }).length, 1)
    assert.deepEqual((await tasker.waitForResult(100)).reason, 'result', 'replayed from the event buffer afterwards')
  })

  test('task agent without a schema: task_done ends it; an interactive agent cannot say task_done', async () => {
    const quick = await client.spawnPty({ name: 'quick', cli: 'node', args: [RESULT_CLI], task: 'TASKDONE please', exitAfterTask: true })
    assert.deepEqual(await quick.waitForExit(15_000), { reason: 'exited', code: 0, signal: null })
    const chatty = await client.spawnPty({ name: 'chatty', cli: 'node', args: [RESULT_CLI] })
    await seen.kind('worker_ready', 'chatty')
    await client.sendMessage({ to: 'chatty', text: 'TASKDONE now' })
    await waitUntil(() => readJsonLines(fixtureLog).some((l) => l.agent === 'chatty' && l.kind === 'done'), 10_000, 'the done call')
    const done = readJsonLines(fixtureLog).find((l) => l.agent === 'chatty' && l.kind === 'done')!
    assert.equal(done.status, 409)
    assert.equal(done.body.code, 'not_a_task_agent')
    await client.sendMessage({ to: 'chatty', text: 'RESULT [1,2] INTERIM' })
    const interim = await chatty.waitForResult(10_000)
    assert.deepEqual([(interim as any).data, (interim as any).final], [[1, 2], false])
    await chatty.release()
    await chatty.waitForExit(10_000)
  })

  test('headless task agent (spawnHeadless claude): done when its turn has its result, exit code 0', async () => {
    const h = await client.spawnHeadless({ name: 'hl', cli: 'claude', task: 'summarise the repo', exitAfterTask: true })
    assert.equal(h.runtime, 'headless')
    const exit = await h.waitForExit(30_000)
    assert.deepEqual(exit, { reason: 'exited', code: 0, signal: null })
    const kinds = seen.all.filter((e) => e.name === 'hl').map((e) => e.kind)
    assert.ok(kinds.indexOf('delivery_verified') >= 0 && kinds.indexOf('agent_idle') > kinds.indexOf('delivery_verified'), kinds.join(','))
    const verified = seen.all.find((e) => e.name === 'hl' && e.kind === 'delivery_verified')!
    assert.equal(verified.verification, 'provider')
  })

  test('spawnClaude (headless) and spawnOpencode: provider-verified turns, delivery_read_ack, waitForIdle on a headless agent', async () => {
    const cl = await client.spawnClaude({ name: 'cl', transport: 'headless' })
    const oc = await client.spawnOpencode({ name: 'oc' })
    assert.deepEqual([cl.runtime, oc.runtime], ['headless', 'headless'])
    for (const h of [cl, oc]) {
      await seen.kind('worker_ready', h.name)
      const idle = h.waitForIdle(30_000)
      const res = await client.sendMessage({ to: h.name, text: `a turn for ${h.name}` })
      const verified = await seen.waitFor((e) => e.kind === 'delivery_verified' && e.event_id === res.event_id, `${h.name} verified`, 30_000)
      assert.equal(verified.verification, 'provider')
      await seen.waitFor((e: any) => e.kind === 'delivery_read_ack' && e.event_id === res.event_id, `${h.name} read ack`)
      assert.equal((await idle).reason, 'idle', 'the turn ended: the headless agent is idle')
      await h.release()
      assert.equal((await h.waitForExit(10_000)).reason, 'exited')
    }
  })

  test('disconnectEvents / connectEvents(sinceSeq) replays what was missed', async () => {
    const lastSeq = Math.max(...seen.all.map((e) => (typeof e.seq === 'number' ? e.seq : 0)))
    client.disconnectEvents()
    const missed = await client.sendMessage({ to: 'alice', text: 'sent while nine was away' })
    client.connectEvents(lastSeq)
    const replayed = await seen.waitFor((e) => e.kind === 'relay_inbound' && e.event_id === missed.event_id, 'replayed relay_inbound')
    assert.ok(replayed.seq > lastSeq)
  })

  test('harnessConfig: its command, args, env and cwd win over cli', async () => {
    const plain = await client.spawnCli({ name: 'viacli', cli: 'node', args: [ECHO] })
    assert.deepEqual([plain.runtime, (await seen.kind('worker_ready', 'viacli')).runtime], ['pty', 'pty'])
    await plain.release()
    const cwd = tempDir('relay-hd-cwd-')
    const h = await client.spawnPty({
      name: 'harnessed',
      cli: 'not-a-real-cli',
      harnessConfig: { runtime: 'pty', command: process.execPath, args: [join(FIXTURES, 'env-cli.mjs')], env: { HARNESS_VAR: 'from-harness' }, cwd, sessionId: 'sess-from-harness' }
    })
    assert.equal(h.sessionId, 'sess-from-harness')
    await waitUntil(() => existsSync(join(envOut, 'harnessed.json')), 10_000, 'the harness command to run')
    const env = JSON.parse(readFileSync(join(envOut, 'harnessed.json'), 'utf8'))
    assert.equal(env.HARNESS_VAR, 'from-harness')
    assert.equal(env.__cwd, realpathSync(cwd), "harnessConfig.cwd is the agent's working directory")
    assert.equal(env.RELAY_API_KEY, undefined, "the workspace key the client passed is the broker's secret")
    assert.equal(env.RELAY_WORKSPACE_KEY, undefined)
    const listed = (await client.listAgents()).find((a) => a.name === 'harnessed')!
    assert.equal(listed.sessionId, 'sess-from-harness')
    await h.release()
    const err = await rejects(
      client.spawnCli({ name: 'appserver', cli: 'x', harnessConfig: { runtime: 'headless', protocol: 'opencode', endpoint: 'http://127.0.0.1:9', sessionId: 's' } })
    )
    assert.equal(err.code, 'unsupported_harness')
    assert.equal(err.status, 400)
  })

  test('connect({cwd}) finds a durable broker; onBrokerExit and shutdown stop the spawned one', async () => {
    const project = tempDir('relay-hd-persist-')
    const { spawn } = await import('node:child_process')
    const durable = spawn(process.execPath, [BROKER_BIN, 'init', '--persist', '--name', 'durable'], { cwd: project, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, RELAY_LOG_FORMAT: 'json' } })
    try {
      await new Promise<void>((resolve, reject) => {
        durable.stdout!.on('data', (d: Buffer) => {
          if (String(d).includes('API listening')) resolve()
        })
        durable.once('exit', (code) => reject(new Error(`durable broker exited ${code}`)))
      })
      const nine = HarnessDriverClient.connect({ cwd: project })
      const s = await nine.getSession()
      assert.equal(s.mode, 'persist')
      assert.equal((s as any).broker_name, 'durable')
      nine.disconnect()
      const { AgentRelayClient } = await import('@agent-relay/sdk/client')
      const six = AgentRelayClient.connect({ cwd: project })
      assert.equal((await six.getSession()).mode, 'persist')
      six.disconnect()
    } finally {
      durable.kill('SIGTERM')
      await new Promise((r) => durable.once('exit', r))
    }
    assert.equal(existsSync(join(project, '.agentworkforce', 'relay', 'connection.json')), false, 'removed on a clean stop')

    // AGENT_RELAY_STATE_DIR, which both clients' connect() read first, is the broker's state dir too.
    const stateDir = tempDir('relay-hd-statedir-')
    const viaEnv = spawn(process.execPath, [BROKER_BIN, 'init', '--name', 'via-env'], { cwd: project, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, RELAY_LOG_FORMAT: 'json', AGENT_RELAY_STATE_DIR: stateDir } })
    try {
      await new Promise<void>((resolve, reject) => {
        viaEnv.stdout!.on('data', (d: Buffer) => {
          if (String(d).includes('API listening')) resolve()
        })
        viaEnv.once('exit', (code) => reject(new Error(`broker exited ${code}`)))
      })
      const saved = process.env.AGENT_RELAY_STATE_DIR
      process.env.AGENT_RELAY_STATE_DIR = stateDir
      let found: HarnessDriverClient
      try {
        found = HarnessDriverClient.connect({ cwd: '/nonexistent' })
      } finally {
        if (saved === undefined) delete process.env.AGENT_RELAY_STATE_DIR
        else process.env.AGENT_RELAY_STATE_DIR = saved
      }
      assert.equal(((await found.getSession()) as any).broker_name, 'via-env')
      found.disconnect()
    } finally {
      viaEnv.kill('SIGTERM')
      await new Promise((r) => viaEnv.once('exit', r))
    }

    const exits: { code: number | null }[] = []
    client.onBrokerExit((info) => exits.push({ code: info.code }))
    const pid = client.brokerPid!
    await client.shutdown()
    await waitUntil(() => !pidAlive(pid), 5_000, 'the broker to exit')
    await waitUntil(() => exits.length === 1, 5_000, 'onBrokerExit')
    assert.equal(exits[0]!.code, 0)
  })
})
