/**
 * Recorded screens played by a fake CLI in a REAL pseudo-terminal under `broker pty` (and under
 * the broker): the child classifies them with the CLI's profile, types the auto-answer keys
 * through the PTY (the player only moves on when it receives exactly the recorded keys),
 * reports `auto_answered`, reports a login wall as `worker_blocked` and never as ready.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WorkerProcess } from '../harness.js'
import { EventLog, readJsonLines, TestBroker, waitUntil } from '../../e2e/harness.js'
import { SCREENS } from './screens.js'

/** The size the recordings were made at (the player waits for it). */
const REC_SIZE = { rows: 30, cols: 100 }

/** An executable called `cli` that plays `scenario`; its input goes to the returned log. */
function player(cli: string, scenario: string): { bin: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), `play-${cli}-`))
  const bin = join(dir, cli)
  const log = join(dir, 'play.log')
  writeFileSync(bin, `#!/bin/sh\nSCREEN_SCENARIO=${scenario} PLAY_LOG="${log}" exec "${process.execPath}" "${join(SCREENS, 'play.mjs')}" "$@"\n`)
  chmodSync(bin, 0o755)
  return { bin, log }
}

describe('recorded screens in a real PTY (broker pty)', { concurrency: 2 }, () => {
  test('claude 2.1.197 bypass confirm: ↓ moves the highlight to "Yes, I accept", Enter once it shows there, then ready', async () => {
    const p = player('claude', 'claude-bypass')
    const w = new WorkerProcess([p.bin], { cwd: tmpdir() })
    try {
      w.init()
      w.send('resize_pty', REC_SIZE)
      const answered = await w.waitType('auto_answered')
      assert.deepEqual(answered.payload, { rule: 'claude.bypass_permissions', answer: 'Yes, I accept (bypass permissions mode)', keys: '\x1b[B' })
      const ready = await w.waitType('worker_ready')
      assert.equal(ready.payload.reason, 'prompt')
      assert.deepEqual(w.ofType('auto_answered').map((f) => f.payload.keys), ['\x1b[B', '\r'])
      assert.equal(w.ofType('worker_blocked').length, 0)
      const typed = readJsonLines(p.log).filter((l) => l.input !== undefined).map((l) => l.input).join('')
      assert.ok(typed.includes('\x1b[B\r'), JSON.stringify(typed))
    } finally {
      await w.stop()
    }
  })

  test('claude 2.1.332 folder trust ("No, exit" listed first): ↓ to "Yes, I trust this folder", Enter, then ready at the prompt box', async () => {
    const p = player('claude', 'claude332-session')
    const w = new WorkerProcess([p.bin], { cwd: tmpdir() })
    try {
      w.init()
      w.send('resize_pty', REC_SIZE)
      const ready = await w.waitType('worker_ready')
      assert.equal(ready.payload.reason, 'prompt')
      assert.deepEqual(
        w.ofType('auto_answered').map((f) => [f.payload.rule, f.payload.keys]),
        [
          ['claude.folder_trust', '\x1b[B'],
          ['claude.folder_trust', '\r']
        ]
      )
      const typed = readJsonLines(p.log).filter((l) => l.input !== undefined).map((l) => l.input).join('')
      // What was typed, without the terminal's answers to the recording's queries (DA replies).
      assert.equal(typed.replace(/\x1b\[\?[\d;]*c/g, ''), '\x1b[B\r', 'never Enter on "No, exit"')
    } finally {
      await w.stop()
    }
  })

  test('gemini 0.61.0 first run: trust answered with Enter, then the auth picker is a wall, not ready', async () => {
    const p = player('gemini', 'gemini-firstrun')
    const w = new WorkerProcess([p.bin], { cwd: tmpdir() })
    try {
      w.init()
      w.send('resize_pty', REC_SIZE)
      const answered = await w.waitType('auto_answered')
      assert.equal(answered.payload.rule, 'gemini.trust_folder')
      assert.equal(answered.payload.keys, '\r')
      const blocked = await w.waitType('worker_blocked')
      assert.equal(blocked.payload.reason, 'login required: gemini asks how to authenticate')
      await new Promise((r) => setTimeout(r, 1_500))
      assert.equal(w.ofType('worker_ready').length, 0, 'a wall is never ready (the generic rule would have settled by now)')
      assert.equal(w.ofType('worker_blocked').length, 1, 'reported once')
    } finally {
      await w.stop()
    }
  })

  test('negative: the same claude dialog under another CLI name is never answered', async () => {
    const p = player('mycli', 'claude-bypass')
    const w = new WorkerProcess([p.bin], { cwd: tmpdir() })
    try {
      w.init()
      w.send('resize_pty', REC_SIZE)
      await w.waitType('worker_ready') // generic: it settles
      await new Promise((r) => setTimeout(r, 1_200))
      assert.equal(w.ofType('auto_answered').length, 0)
      const typed = readJsonLines(p.log).filter((l) => l.input !== undefined).map((l) => l.input).join('')
      assert.ok(!typed.includes('\r'), 'no Enter typed into a dialog that is not its own')
    } finally {
      await w.stop()
    }
  })
})

describe('recorded screens through the broker', { concurrency: 1 }, () => {
  let broker: TestBroker
  let events: EventLog

  before(async () => {
    broker = await new TestBroker().ready()
    events = broker.events()
    await events.opened
  })

  after(async () => {
    events.close()
    await broker.stop()
  })

  const agentState = async (name: string) => (await broker.api('GET', '/api/spawned')).body.agents.find((a: { name: string }) => a.name === name)

  test('codex 0.169.0 sign-in menu: agent_blocked with the reason and current_state blocked', async () => {
    const p = player('codex', 'codex-login')
    await broker.spawnAgent('cx', p.bin, { cwd: tmpdir() })
    await broker.api('POST', '/api/resize/cx', REC_SIZE)
    const ev = await events.waitKind('agent_blocked', 'cx', 10_000)
    assert.match(ev.reason as string, /^login required: codex shows its sign-in menu/)
    const a = await agentState('cx')
    assert.equal(a.current_state, 'blocked')
    assert.equal(a.blocked_reason, ev.reason)
    assert.equal(events.of('worker_ready', 'cx').length, 0)
    await broker.api('DELETE', '/api/spawned/cx')
  })

  test('claude 2.1.197 session: folder trust auto-answered (event), API-key question blocks, a human answer unblocks it', async () => {
    const p = player('claude', 'claude-session')
    await broker.spawnAgent('cl', p.bin, { cwd: tmpdir() })
    await broker.api('POST', '/api/resize/cl', REC_SIZE)
    const answered = await events.waitKind('agent_auto_answered', 'cl', 10_000)
    assert.deepEqual({ rule: answered.rule, keys: answered.keys, answer: answered.answer }, { rule: 'claude.folder_trust', keys: '\r', answer: 'Yes, I trust this folder' })
    const blocked = await events.waitKind('agent_blocked', 'cl', 10_000)
    assert.match(blocked.reason as string, /ANTHROPIC_API_KEY/)
    assert.equal((await agentState('cl')).current_state, 'blocked')
    // Someone answers the question through the API: ↑ then Enter, as in the recording.
    assert.equal((await broker.api('POST', '/api/input/cl', { data: '\x1b[A' })).status, 200)
    await waitUntil(() => readJsonLines(p.log).some((l) => String(l.input ?? '').includes('\x1b[A')), 5_000, 'the up key reached the CLI')
    assert.equal((await broker.api('POST', '/api/input/cl', { data: '\r' })).status, 200)
    await events.waitKind('worker_ready', 'cl', 10_000)
    assert.notEqual((await agentState('cl')).current_state, 'blocked')
    assert.equal(events.of('agent_auto_answered', 'cl').length, 1)
    await broker.api('DELETE', '/api/spawned/cl')
  })
})
