/**
 * Auto-answers (worker.md §3.10), per CLI: the exact keys each rule types on its dialog (recorded
 * where the CLI could be started offline, hand-written otherwise), its limits (once, cooldown,
 * max sends, re-arming), and the negative cases: another CLI's dialog, or an ordinary screen,
 * never triggers anything. The engine is driven with a hand-moved clock.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { AutoAnswerer, type AutoAnswered, type KeyStep } from '../../../src/pty/ready/auto-answer.js'
import { profileFor } from '../../../src/pty/profiles/index.js'
import { ALL_PROFILES } from '../../../src/pty/profiles/index.js'
import { CLAUDE_MENU_MAX_STEPS, CLAUDE_MENU_STEP_MS } from '../../../src/pty/profiles/claude.js'
import { replay, scenarioNames, screenAt, type ScreenState } from '../profiles/screens.js'

const DOWN = '\x1b[B'

interface Harness {
  answerer: AutoAnswerer
  writes: KeyStep[][]
  answered: AutoAnswered[]
  setScreen(s: ScreenState | string[]): void
  /** Ticks every 50 ms from `from` to `to` (inclusive); lets the write promises settle. */
  run(from: number, to: number): Promise<void>
}

function harness(cli: string, first: ScreenState | string[]): Harness {
  let rows = Array.isArray(first) ? first : first.rows
  const writes: KeyStep[][] = []
  const answered: AutoAnswered[] = []
  const answerer = new AutoAnswerer(profileFor(cli).autoAnswers, {
    rows: () => rows,
    write: async (keys) => {
      writes.push([...keys])
    },
    onAnswered: (a) => answered.push(a)
  })
  return {
    answerer,
    writes,
    answered,
    setScreen(s) {
      rows = Array.isArray(s) ? s : s.rows
    },
    async run(from, to) {
      for (let t = from; t <= to; t += 50) {
        answerer.tick(t)
        await Promise.resolve()
        await Promise.resolve()
      }
    }
  }
}

/** Every dialog fixture, the CLI it belongs to, the rule that answers it and the keys it types. */
const DIALOGS: { screen: [string, string?]; cli: string; rule: string; keys: KeyStep[]; delayMs: number }[] = [
  // claude's menus: one step per answer (move the highlight; Enter once it is on the wanted option).
  { screen: ['claude-bypass', 'bypass-confirm'], cli: 'claude', rule: 'claude.bypass_permissions', keys: [DOWN], delayMs: 500 },
  { screen: ['claude-bypass', 'accept-selected'], cli: 'claude', rule: 'claude.bypass_permissions', keys: ['\r'], delayMs: 500 },
  { screen: ['claude-bypass-yesno'], cli: 'claude', rule: 'claude.bypass_permissions_yes', keys: ['y\n'], delayMs: 500 },
  { screen: ['claude-session', 'folder-trust'], cli: 'claude', rule: 'claude.folder_trust', keys: ['\r'], delayMs: 100 },
  { screen: ['claude332-session', 'folder-trust'], cli: 'claude', rule: 'claude.folder_trust', keys: [DOWN], delayMs: 100 },
  { screen: ['claude332-session', 'trust-selected'], cli: 'claude', rule: 'claude.folder_trust', keys: ['\r'], delayMs: 100 },
  { screen: ['codex-model-upgrade'], cli: 'codex', rule: 'codex.model_upgrade', keys: [DOWN, { pauseMs: 100 }, '\r'], delayMs: 100 },
  { screen: ['gemini-action-required'], cli: 'gemini', rule: 'gemini.action_required', keys: ['2\n'], delayMs: 100 },
  { screen: ['gemini-firstrun', 'folder-trust'], cli: 'gemini', rule: 'gemini.trust_folder', keys: ['\r'], delayMs: 100 },
  { screen: ['gemini-modify-trust'], cli: 'gemini', rule: 'gemini.trust_folder', keys: ['\r'], delayMs: 100 },
  { screen: ['gemini-untrusted-banner'], cli: 'gemini', rule: 'gemini.untrusted_banner', keys: ['/permissions\n'], delayMs: 300 },
  { screen: ['opencode-execute'], cli: 'opencode', rule: 'opencode.execute', keys: [DOWN, { pauseMs: 100 }, '\r'], delayMs: 100 },
  { screen: ['droid-execute'], cli: 'droid', rule: 'droid.execute', keys: [DOWN, { pauseMs: 100 }, '\r'], delayMs: 100 },
  { screen: ['cursor-mcp-approval'], cli: 'cursor', rule: 'cursor.mcp_approval', keys: ['a'], delayMs: 100 },
  { screen: ['cursor-workspace-trust'], cli: 'cursor', rule: 'cursor.workspace_trust', keys: ['a'], delayMs: 100 }
]

describe('each dialog is answered by its own rule with its exact keys', () => {
  for (const d of DIALOGS) {
    test(`${d.screen.join('/')} → ${d.rule}`, async () => {
      const h = harness(d.cli, await screenAt(d.screen[0], d.screen[1]))
      await h.run(1_000, 1_000 + d.delayMs - 50)
      assert.equal(h.writes.length, 0, 'nothing typed before the dialog has been up for the delay')
      await h.run(1_000 + d.delayMs, 1_000 + d.delayMs)
      assert.deepEqual(h.writes, [d.keys])
      const text = d.keys.filter((k) => typeof k === 'string').join('')
      assert.equal(h.answered.length, 1)
      assert.equal(h.answered[0]!.rule, d.rule)
      assert.equal(h.answered[0]!.keys, text)
      assert.ok(h.answered[0]!.answer.length > 0)
    })
  }

  test('every auto-answer rule of every profile has a dialog screen here', () => {
    const covered = new Set(DIALOGS.map((d) => d.rule))
    for (const p of ALL_PROFILES) for (const r of p.autoAnswers) assert.ok(covered.has(r.id), r.id)
  })
})

describe('limits', () => {
  test('retry: a claude folder-trust dialog still up after the answer is answered again, bounded', async () => {
    const h = harness('claude', await screenAt('claude-session', 'folder-trust'))
    await h.run(0, 100 + CLAUDE_MENU_STEP_MS - 50)
    assert.equal(h.writes.length, 1, 'answered once, then checked again after the step interval')
    await h.run(100 + CLAUDE_MENU_STEP_MS, 60_000)
    assert.equal(h.answerer.sends('claude.folder_trust'), CLAUDE_MENU_MAX_STEPS)
  })

  test('a folder-trust dialog that went away after the answer is not answered again', async () => {
    const h = harness('claude', await screenAt('claude-session', 'folder-trust'))
    await h.run(0, 200)
    h.setScreen(await screenAt('claude-session', 'ready'))
    await h.run(250, 10_000)
    assert.equal(h.answerer.sends('claude.folder_trust'), 1)
  })

  test('cooldown: Gemini Action Required at most once per 2 s while it stays up', async () => {
    const h = harness('gemini', await screenAt('gemini-action-required'))
    await h.run(0, 100)
    assert.equal(h.writes.length, 1)
    await h.run(150, 2_050)
    assert.equal(h.writes.length, 1, 'within the cooldown')
    await h.run(2_100, 2_100)
    assert.equal(h.writes.length, 2, 'after the cooldown')
  })

  test('cooldown and max sends: a bypass confirm that stays up is stepped again every 400 ms, 8 times, then never', async () => {
    const h = harness('claude', await screenAt('claude-bypass', 'bypass-confirm'))
    await h.run(0, 500 + CLAUDE_MENU_STEP_MS - 50)
    assert.equal(h.writes.length, 1)
    await h.run(500 + CLAUDE_MENU_STEP_MS, 60_000)
    assert.equal(h.writes.length, CLAUDE_MENU_MAX_STEPS)
    assert.equal(h.answerer.sends('claude.bypass_permissions'), CLAUDE_MENU_MAX_STEPS)
  })

  test('the dialog must still be there when the delay is over', async () => {
    const h = harness('claude', await screenAt('claude-bypass', 'bypass-confirm'))
    await h.run(0, 400)
    h.setScreen(await screenAt('claude-bypass', 'ready'))
    await h.run(450, 3_000)
    assert.equal(h.writes.length, 0)
  })

  test('a dialog that comes back is answered again (repeatable rules)', async () => {
    const dialog = await screenAt('opencode-execute')
    const h = harness('opencode', dialog)
    await h.run(0, 100)
    h.setScreen(await screenAt('opencode-session', 'ready'))
    await h.run(150, 5_000)
    h.setScreen(dialog)
    await h.run(5_050, 5_200)
    assert.equal(h.writes.length, 2)
  })

  test('Gemini untrusted banner types /permissions and re-arms the (once) trust menu', async () => {
    const h = harness('gemini', await screenAt('gemini-modify-trust'))
    await h.run(0, 500)
    assert.equal(h.answerer.sends('gemini.trust_folder'), 1)
    h.setScreen(await screenAt('gemini-untrusted-banner'))
    await h.run(550, 1_500)
    assert.deepEqual(h.writes.at(-1), ['/permissions\n'])
    h.setScreen(await screenAt('gemini-modify-trust'))
    await h.run(1_550, 2_000)
    assert.equal(h.answerer.sends('gemini.trust_folder'), 2)
    h.setScreen(await screenAt('gemini-untrusted-banner'))
    await h.run(2_050, 5_000)
    assert.equal(h.answerer.sends('gemini.untrusted_banner'), 1, 'the banner rule itself is once')
  })

  test('Gemini untrusted banner is left alone when the agent’s env says not to trust the folder', async () => {
    const before = process.env.GEMINI_CLI_TRUST_WORKSPACE
    process.env.GEMINI_CLI_TRUST_WORKSPACE = 'false'
    try {
      const h = harness('gemini', await screenAt('gemini-untrusted-banner'))
      await h.run(0, 2_000)
      assert.equal(h.answerer.sends('gemini.untrusted_banner'), 0)
      assert.equal(h.writes.length, 0)
    } finally {
      if (before === undefined) delete process.env.GEMINI_CLI_TRUST_WORKSPACE
      else process.env.GEMINI_CLI_TRUST_WORKSPACE = before
    }
  })

  test('MCP approval with its options cut off is approved after 5 s of the header alone', async () => {
    const h = harness('cursor', await screenAt('cursor-mcp-approval-partial'))
    await h.run(0, 4_950)
    assert.equal(h.writes.length, 0)
    await h.run(5_000, 5_000)
    assert.deepEqual(h.writes, [['a']])
    await h.run(5_050, 20_000)
    assert.equal(h.writes.length, 1)
  })

  test('a closed answerer types nothing', async () => {
    const h = harness('codex', await screenAt('codex-model-upgrade'))
    h.answerer.close()
    await h.run(0, 1_000)
    assert.equal(h.writes.length, 0)
  })
})

describe('negative cases', () => {
  /** The EXECUTE dialog is the same for opencode and droid (worker.md §3.10). */
  const SHARED: Record<string, string[]> = { opencode: ['droid'], droid: ['opencode'] }
  const clis = ['claude', 'codex', 'gemini', 'opencode', 'droid', 'cursor', 'aider', 'bash']

  test("another CLI's dialog never triggers a profile's rules", async () => {
    for (const d of DIALOGS) {
      const screen = await screenAt(d.screen[0], d.screen[1])
      for (const cli of clis) {
        if (profileFor(cli).name === profileFor(d.cli).name || SHARED[d.cli]?.includes(cli)) continue
        const h = harness(cli, screen)
        await h.run(0, 12_000)
        assert.deepEqual(h.answered, [], `${cli} on ${d.screen.join('/')}`)
      }
    }
  })

  test('ordinary screens (prompts, busy turns, login walls) trigger nothing for any CLI', async () => {
    const dialogs = new Set(DIALOGS.map((d) => d.screen.join('/')))
    for (const name of scenarioNames()) {
      for (const s of await replay(name)) {
        if (dialogs.has(`${name}/${s.label}`) || dialogs.has(name)) continue
        if (name === 'claude-bypass' && s.label === 'accept-selected') continue // the same dialog, second option highlighted
        if (name === 'cursor-mcp-approval-partial') continue
        for (const cli of clis) {
          const h = harness(cli, s)
          await h.run(0, 12_000)
          assert.deepEqual(h.answered, [], `${cli} on ${name}/${s.label}`)
        }
      }
    }
  })

  test('generic CLIs have no auto-answers at all', () => {
    assert.deepEqual(profileFor('bash').autoAnswers, [])
    assert.deepEqual(profileFor('aider').autoAnswers, [])
  })
})
