/** The generic readiness rule, the readiness tracker and the idle detector. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { IdleDetector } from '../../../src/pty/idle.js'
import { endsWithPrompt, genericReadinessRule, ReadinessTracker, StartupOutput, stripAnsi, type ReadinessView } from '../../../src/pty/ready/readiness.js'

function view(over: Partial<ReadinessView> & { row?: string; output?: string }): ReadinessView {
  return {
    nowMs: 10_000,
    spawnedAtMs: 10_000,
    firstOutputAtMs: null,
    lastOutputAtMs: null,
    screenCurrent: true,
    startupOutput: () => over.output ?? '',
    cursorRowText: () => over.row ?? '',
    ...over
  }
}

describe('generic readiness rule', () => {
  const rule = genericReadinessRule()

  test('marker in stripped output wins at once', () => {
    assert.equal(rule.evaluate(view({ output: 'booting ->pty:ready', firstOutputAtMs: 10_000, lastOutputAtMs: 10_000 })), 'marker')
  })

  test('prompt glyph on the cursor row after a short quiet', () => {
    for (const row of ['> ', '$', 'root@host:~#', 'project ❯', '›', '>>>']) {
      assert.equal(rule.evaluate(view({ row, nowMs: 10_100, firstOutputAtMs: 10_000, lastOutputAtMs: 10_040 })), 'prompt', row)
    }
    assert.equal(rule.evaluate(view({ row: '>', nowMs: 10_010, firstOutputAtMs: 10_000, lastOutputAtMs: 10_000 })), null, 'not quiet yet')
    assert.equal(rule.evaluate(view({ row: '>', nowMs: 10_100, firstOutputAtMs: 10_000, lastOutputAtMs: 10_000, screenCurrent: false })), null)
    assert.equal(rule.evaluate(view({ row: 'Loading...', nowMs: 10_100, firstOutputAtMs: 10_000, lastOutputAtMs: 10_000 })), null)
  })

  test('settled after quiet following the first output', () => {
    assert.equal(rule.evaluate(view({ row: 'Loading', nowMs: 10_700, firstOutputAtMs: 10_000, lastOutputAtMs: 10_050 })), 'settled')
  })

  test('silent when nothing was printed at all', () => {
    assert.equal(rule.evaluate(view({ nowMs: 11_000 })), null)
    assert.equal(rule.evaluate(view({ nowMs: 11_600 })), 'silent')
  })

  test('timeout as the last resort for a chatty CLI', () => {
    assert.equal(rule.evaluate(view({ row: 'spinning', nowMs: 35_000, firstOutputAtMs: 10_001, lastOutputAtMs: 34_990 })), 'timeout')
  })

  test('prompt glyphs', () => {
    assert.ok(endsWithPrompt('user@box:~$   '))
    assert.equal(endsWithPrompt(''), false)
    assert.equal(endsWithPrompt('done.'), false)
  })
})

describe('startup output', () => {
  test('strips ANSI and stays bounded', () => {
    assert.equal(stripAnsi('\x1b[1;32m->pty:\x1b[0mready\x1b]0;title\x07!'), '->pty:ready!')
    const s = new StartupOutput()
    s.append('\x1b[31mx\x1b[0m')
    assert.equal(s.text(), 'x')
    s.append('y'.repeat(20_000))
    assert.ok(s.text().length <= 12_000)
  })
})

describe('readiness tracker', () => {
  test('feeds the rule and reports the first reason once', () => {
    let row = ''
    const screen = { cursorRowText: () => row, parsing: false }
    const t = new ReadinessTracker(genericReadinessRule(), screen, 1_000)
    assert.equal(t.evaluate(1_010), null)
    t.output(1_020, 'hello\r\n> ')
    row = '>'
    assert.equal(t.evaluate(1_030), null, 'not quiet long enough')
    assert.equal(t.evaluate(1_080), 'prompt')
    assert.equal(t.reason, 'prompt')
    assert.equal(t.evaluate(1_200), null, 'reported once')
  })

  test('the marker is found across chunks', () => {
    const t = new ReadinessTracker(genericReadinessRule(), { cursorRowText: () => '', parsing: false }, 0)
    t.output(1, 'booting ->pty')
    t.output(2, ':ready')
    assert.equal(t.evaluate(3), 'marker')
  })
})

describe('idle detector', () => {
  test('once per transition into idle, re-armed by output; 0 disables', () => {
    const d = new IdleDetector(1_000, 0)
    assert.equal(d.check(999), null)
    assert.equal(d.check(2_500), 2)
    assert.equal(d.check(5_000), null, 'already idle')
    d.output(5_000)
    assert.equal(d.check(5_500), null)
    assert.equal(d.check(6_000), 1)
    const off = new IdleDetector(0, 0)
    assert.equal(off.enabled, false)
    assert.equal(off.check(1e9), null)
  })
})
