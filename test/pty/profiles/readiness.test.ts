/**
 * Ready / busy / blocked verdicts of each CLI profile over the screens in test/fixtures/screens:
 * recordings of the real CLIs (claude 2.1.197, codex 0.169.0, gemini 0.61.0, opencode 1.18.33,
 * started offline) and hand-written screens for the CLIs that are not on npm.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { CODEX_BARE_COMPOSER_SETTLE_MS } from '../../../src/pty/profiles/codex.js'
import { profileFor } from '../../../src/pty/profiles/index.js'
import { genericReadinessRule, PROMPT_NEVER_QUIET_TIMEOUTS, ReadinessTracker } from '../../../src/pty/ready/readiness.js'
import { STARTUP_READY_TIMEOUT_MS } from '../../../src/pty/ready/readiness.js'
import { loadMeta, replay, screenAt, settledView, viewOf, type ScreenState } from './screens.js'

function verdict(cli: string, s: ScreenState, quietMs = 1_000): { ready: string | null; blocked: string | null } {
  const rule = profileFor(cli).readiness
  const view = settledView(s, quietMs)
  const blocked = rule.blocked?.(view) ?? null
  return { blocked, ready: blocked === null ? rule.evaluate(view) : null }
}

describe('profile lookup', () => {
  test('by the basename of the command, lowercased; claude:* is claude; the cursor names', () => {
    const cases: [string, string][] = [
      ['claude', 'claude'],
      ['/usr/local/bin/claude', 'claude'],
      ['claude:opus', 'claude'],
      ['CODEX', 'codex'],
      ['/opt/gemini --debug', 'gemini'],
      ['opencode', 'opencode'],
      ['droid', 'droid'],
      ['agent', 'cursor'],
      ['cursor-agent', 'cursor'],
      ['cursor', 'cursor'],
      ['aider', 'aider'],
      ['bash', 'generic'],
      ['node', 'generic'],
      ['/work/claude-helper', 'generic']
    ]
    for (const [cli, name] of cases) assert.equal(profileFor(cli).name, name, cli)
  })
})

describe('claude (recorded 2.1.197)', () => {
  test('recordings carry the CLI version', () => {
    for (const name of ['claude-session', 'claude-bypass', 'claude-offline']) assert.equal(loadMeta(name).version, '2.1.197')
  })

  test('the main prompt under the welcome banner is ready; every dialog before it is not', async () => {
    const states = await replay('claude-session')
    const byLabel = new Map(states.map((s) => [s.label, s]))
    assert.deepEqual(verdict('claude', byLabel.get('folder-trust')!), { ready: null, blocked: null })
    assert.deepEqual(verdict('claude', byLabel.get('ready')!), { ready: 'prompt', blocked: null })
    assert.deepEqual(verdict('claude', (await screenAt('claude-bypass', 'ready'))), { ready: 'prompt', blocked: null })
    assert.deepEqual(verdict('claude', (await screenAt('claude-bypass', 'bypass-confirm'))), { ready: null, blocked: null })
  })

  test('the generic rule would have called the folder-trust dialog ready (why profiles exist)', async () => {
    const s = await screenAt('claude-session', 'folder-trust')
    assert.equal(genericReadinessRule().evaluate(settledView(s)), 'settled')
  })

  test('not ready before output has been quiet', async () => {
    const s = await screenAt('claude-session', 'ready')
    assert.equal(verdict('claude', s, 10).ready, null)
  })

  test('busy while the turn runs (esc to interrupt), not at the idle prompt', async () => {
    const states = new Map((await replay('claude-session')).map((s) => [s.label, s]))
    const p = profileFor('claude')
    assert.equal(p.isBusy(viewOf(states.get('busy')!)), true)
    assert.equal(p.isBusy(viewOf(states.get('ready')!)), false)
    assert.equal(p.isBusy(viewOf(states.get('typed')!)), false)
  })

  test('offline: blocked with the reason on screen, never ready', async () => {
    const v = verdict('claude', await screenAt('claude-offline'))
    assert.equal(v.ready, null)
    assert.match(v.blocked!, /^cannot reach Anthropic: Unable to connect to Anthropic services \(Failed to connect to api\.anthropic\.com: ECONNREFUSED\)$/)
  })

  test('the API-key question and the login picker are walls', async () => {
    assert.match(verdict('claude', await screenAt('claude-session', 'api-key')).blocked!, /ANTHROPIC_API_KEY/)
    assert.match(verdict('claude', await screenAt('claude-login')).blocked!, /^login required/)
  })
})

describe('claude (recorded 2.1.332)', () => {
  test('ready from the prompt box (a bare ❯ between two rules), never on the trust dialog or with text typed', async () => {
    assert.equal(loadMeta('claude332-session').version, '2.1.332')
    const states = new Map((await replay('claude332-session')).map((s) => [s.label, s]))
    assert.deepEqual(verdict('claude', states.get('folder-trust')!), { ready: null, blocked: null })
    assert.deepEqual(verdict('claude', states.get('trust-selected')!), { ready: null, blocked: null })
    assert.deepEqual(verdict('claude', states.get('ready')!), { ready: 'prompt', blocked: null })
    assert.equal(verdict('claude', states.get('typed')!).ready, null)
    assert.ok(!states.get('ready')!.rows.join('\n').includes('Welcome'), 'no welcome text to lean on')
  })

  test('the startup timeout never reports ready while the trust dialog is up: blocked with its text', async () => {
    const s = await screenAt('claude332-session', 'folder-trust')
    const rule = profileFor('claude').readiness
    const view = settledView(s, 1_000, 30_000)
    assert.equal(rule.evaluate(view), null)
    const blocked = rule.blocked!(view)
    assert.match(blocked!, /dialog is still on screen.*Yes, I trust this folder/)
  })

  test('the startup timeout never reports ready on a blank screen', () => {
    const rule = profileFor('claude').readiness
    const blank = { label: 'blank', rows: new Array(30).fill(''), cursorRow: '' }
    const view = settledView(blank, 1_000, 30_000)
    assert.equal(rule.evaluate(view), null)
    assert.match(rule.blocked!(view)!, /blank screen/)
  })

  test('the startup timeout never reports ready without the prompt (a half-drawn screen): blocked, then ready from the prompt', async () => {
    const rule = profileFor('opencode').readiness
    const splash = { label: 'splash', rows: ['', '   opencode', '', '   loading…', ...new Array(26).fill('')], cursorRow: '' }
    const late = settledView(splash, 1_000, 30_000)
    assert.equal(rule.evaluate(late), null)
    assert.match(rule.blocked!(late)!, /^not ready: no prompt on screen at the startup timeout: opencode \/ loading…$/)
    const prompt = settledView(await screenAt('opencode-session', 'ready'), 1_000, 40_000)
    assert.equal(rule.blocked!(prompt), null)
    assert.equal(rule.evaluate(prompt), 'prompt')
  })

  test('a prompt drawn after the startup timeout still waits for its quiet time and counts as the prompt', async () => {
    const rule = profileFor('opencode').readiness
    const ready = await screenAt('opencode-session', 'ready')
    const justDrawn = settledView(ready, 10, STARTUP_READY_TIMEOUT_MS + 1_000)
    assert.equal(rule.evaluate(justDrawn), null, 'not the timeout the moment the prompt shows up')
    assert.equal(rule.blocked!(justDrawn), null)
    assert.equal(rule.evaluate(settledView(ready, 1_000, STARTUP_READY_TIMEOUT_MS + 2_000)), 'prompt')
    assert.equal(rule.evaluate(settledView(ready, 10, STARTUP_READY_TIMEOUT_MS * PROMPT_NEVER_QUIET_TIMEOUTS)), 'timeout', 'output that never goes quiet: ready by the timeout')
  })
})

describe('codex (recorded 0.169.0)', () => {
  test('the composer is ready; typed text, busy and the sign-in menu are told apart', async () => {
    const states = new Map((await replay('codex-session')).map((s) => [s.label, s]))
    assert.equal(loadMeta('codex-session').version, '0.169.0')
    assert.deepEqual(verdict('codex', states.get('ready')!, CODEX_BARE_COMPOSER_SETTLE_MS), { ready: 'prompt', blocked: null })
    assert.equal(verdict('codex', states.get('ready')!, 1_000).ready, null, 'a bare composer (no status line) must settle first: 0.171 flashes it before the sign-in menu')
    const p = profileFor('codex')
    assert.equal(p.isBusy(viewOf(states.get('busy')!)), true)
    assert.equal(p.isBusy(viewOf(states.get('ready')!)), false)
    assert.equal(p.isBusy(viewOf(states.get('typed')!)), false)
    const login = verdict('codex', await screenAt('codex-login'))
    assert.equal(login.ready, null)
    assert.match(login.blocked!, /^login required: codex shows its sign-in menu/)
  })

  test('not ready while an MCP server is still booting', () => {
    const s: ScreenState = { label: 'boot', rows: ['  >_ OpenAI Codex (v0.169.0)', '', '  Booting MCP server: relaycast', '› Ask Codex to do anything'], cursorRow: '› Ask Codex to do anything' }
    assert.equal(verdict('codex', s).ready, null)
  })
})

describe('gemini (recorded 0.61.0)', () => {
  test('first run: the trust dialog is not ready, the auth picker is a wall', async () => {
    const states = new Map((await replay('gemini-firstrun')).map((s) => [s.label, s]))
    assert.deepEqual(verdict('gemini', states.get('folder-trust')!), { ready: null, blocked: null })
    const wall = verdict('gemini', states.get('auth-wall')!)
    assert.equal(wall.ready, null)
    assert.equal(wall.blocked, 'login required: gemini asks how to authenticate')
  })

  test('the composer is ready; Thinking… (esc to cancel) is busy', async () => {
    const states = new Map((await replay('gemini-session')).map((s) => [s.label, s]))
    assert.deepEqual(verdict('gemini', states.get('ready')!), { ready: 'prompt', blocked: null })
    const p = profileFor('gemini')
    assert.equal(p.isBusy(viewOf(states.get('busy')!)), true)
    assert.equal(p.isBusy(viewOf(states.get('ready')!)), false)
  })
})

describe('opencode (recorded 1.18.33)', () => {
  test('the empty composer is ready; the retrying turn is busy though its hint wraps across rows', async () => {
    const states = new Map((await replay('opencode-session')).map((s) => [s.label, s]))
    assert.deepEqual(verdict('opencode', states.get('ready')!), { ready: 'prompt', blocked: null })
    const p = profileFor('opencode')
    assert.ok(states.get('busy')!.rows.some((r) => r.trim() === 'inte'), 'the recorded hint is wrapped')
    assert.equal(p.isBusy(viewOf(states.get('busy')!)), true)
    assert.equal(p.isBusy(viewOf(states.get('later')!)), true)
    assert.equal(p.isBusy(viewOf(states.get('ready')!)), false)
    assert.equal(p.isBusy(viewOf(states.get('typed')!)), false)
  })
})

describe('hand-written: droid, cursor, aider', () => {
  test('generic readiness on their prompts; busy markers', async () => {
    assert.equal(verdict('droid', await screenAt('droid-ready')).ready, 'prompt')
    assert.equal(verdict('aider', await screenAt('aider-prompt')).ready, 'prompt')
    assert.equal(profileFor('droid').isBusy(viewOf(await screenAt('droid-busy'))), true)
    assert.equal(profileFor('droid').isBusy(viewOf(await screenAt('droid-ready'))), false)
    assert.equal(profileFor('cursor').isBusy(viewOf(await screenAt('cursor-busy'))), true)
    assert.equal(profileFor('aider').isBusy(viewOf(await screenAt('aider-busy'))), true)
    assert.equal(profileFor('aider').isBusy(viewOf(await screenAt('aider-prompt'))), false)
  })

  test('generic CLIs are never busy, whatever the screen', async () => {
    for (const name of ['claude-session', 'opencode-session', 'droid-busy']) {
      for (const s of await replay(name)) assert.equal(profileFor('bash').isBusy(viewOf(s)), false)
    }
  })
})

describe('readiness tracker with a blocked profile', () => {
  function trackerOn(s: ScreenState) {
    const screen = { cursorRowText: () => s.cursorRow, visibleRows: () => s.rows, parsing: false }
    const t = new ReadinessTracker(profileFor('codex').readiness, screen, 0)
    t.output(10, 'x')
    return t
  }

  test('a wall is reported once, and the timeout never makes it ready', async () => {
    const t = trackerOn(await screenAt('codex-login'))
    assert.equal(t.evaluate(1_000), null)
    assert.match(t.takeBlocked()!, /^login required/)
    assert.equal(t.takeBlocked(), null)
    assert.equal(t.evaluate(STARTUP_READY_TIMEOUT_MS + 10_000), null)
    assert.equal(t.takeBlocked(), null)
    assert.equal(t.reason, null)
    assert.match(t.blocked!, /^login required/)
  })

  test('once the wall is gone (someone logged in) the CLI can become ready', async () => {
    const login = await screenAt('codex-login')
    const ready = await screenAt('codex-session', 'ready')
    let current = login
    const screen = { cursorRowText: () => current.cursorRow, visibleRows: () => current.rows, parsing: false }
    const t = new ReadinessTracker(profileFor('codex').readiness, screen, 0)
    t.output(10, 'x')
    assert.equal(t.evaluate(1_000), null)
    assert.ok(t.takeBlocked())
    current = ready
    assert.equal(t.evaluate(10 + CODEX_BARE_COMPOSER_SETTLE_MS), 'prompt')
    assert.equal(t.blocked, null)
  })
})
