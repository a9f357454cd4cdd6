/**
 * Typing, submitting and verifying against the screens the real CLIs drew (test/fixtures/screens,
 * recorded offline): gemini 0.61.0 collapses a paste into `[Pasted Text: 11 lines]` and redraws the
 * submitted message above its input box; opencode 1.18.33 collapses it into `[Pasted ~11 lines]`
 * and draws the submitted message inside a box with a `┃` border, wrapping the relay line.
 * The typed text is the recorded paste itself (the keys typed after the `ready` segment).
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { profileFor } from '../../../src/pty/profiles/index.js'
import { echoNeedle, screenShowsNeedle, screenShowsNeedleCompact } from '../../../src/pty/inject/verify.js'
import { showsPlaceholderFor, stillInInput, textTaken } from '../../../src/pty/inject/submit.js'
import { loadMeta, replay, settledView, viewOf, type ScreenState } from '../profiles/screens.js'

const PASTE_START = '\x1b[200~'
const PASTE_END = '\x1b[201~'

interface Recorded {
  states: Map<string, ScreenState>
  /** What the CLI was given (the paste without its brackets). */
  typed: string
  /** The relay line's needle, as the injector builds it. */
  needle: string
}

async function recorded(name: string): Promise<Recorded> {
  const meta = loadMeta(name)
  const keys = meta.segments.find((s) => s.label === 'ready')!.keys_after!
  assert.ok(keys.startsWith(PASTE_START) && keys.endsWith(PASTE_END), 'the message was typed as one bracketed paste')
  const typed = keys.slice(PASTE_START.length, -PASTE_END.length)
  const relayLine = typed.split('\n').at(-1)!
  assert.match(relayLine, /^Relay message from alice \[local \/ http_[0-9a-f]+\]: PING-1/)
  return { states: new Map((await replay(name)).map((s) => [s.label, s])), typed, needle: echoNeedle(relayLine) }
}

const text = (s: ScreenState): string => s.rows.join('\n')

describe('gemini 0.61.0: the paste placeholder (gemini-paste)', () => {
  test('the paste is taken as `[Pasted Text: 11 lines]` in the input row: Enter may go, and nothing is verified yet', async () => {
    const r = await recorded('gemini-paste')
    assert.equal(loadMeta('gemini-paste').version, '0.61.0')
    const pasted = r.states.get('pasted')!
    assert.equal(r.typed.split('\n').length, 11)
    assert.match(pasted.cursorRow, /\[Pasted Text: 11 lines\]/)
    assert.ok(showsPlaceholderFor(text(pasted), r.typed))
    assert.ok(textTaken(text(pasted), r.typed))
    assert.ok(stillInInput(pasted.cursorRow, r.typed), 'an Enter that did not submit leaves the placeholder in the input row: Enter again')
    assert.ok(!screenShowsNeedleCompact(text(pasted), r.needle), 'a placeholder alone is no echo of the relay line')
  })

  test('after Enter: the input row is empty again, the message is drawn above it (verified) and gemini is busy', async () => {
    const r = await recorded('gemini-paste')
    const submitted = r.states.get('submitted')!
    assert.ok(!stillInInput(submitted.cursorRow, r.typed))
    assert.ok(!showsPlaceholderFor(text(submitted), r.typed))
    assert.ok(screenShowsNeedleCompact(text(submitted), r.needle))
    const cursorAt = submitted.rows.findIndex((row) => row === submitted.cursorRow)
    const relayAt = submitted.rows.findIndex((row) => row.includes('Relay message from alice'))
    assert.ok(relayAt !== -1 && relayAt < cursorAt, 'the echo is above the cursor row (the verifier looks at the whole screen)')
    assert.equal(profileFor('gemini').isBusy(viewOf(submitted)), true)
  })

  test('ready from the prompt before the paste (trusted by GEMINI_CLI_TRUST_WORKSPACE: no dialog, YOLO on)', async () => {
    const r = await recorded('gemini-paste')
    const ready = r.states.get('ready')!
    assert.equal(profileFor('gemini').readiness.evaluate(settledView(ready)), 'prompt')
    assert.match(text(ready), /YOLO/)
  })
})

describe('opencode 1.18.33: the bordered message box (opencode-message)', () => {
  test('the paste is taken as `[Pasted ~11 lines]` inside the composer border', async () => {
    const r = await recorded('opencode-message')
    assert.equal(loadMeta('opencode-message').version, '1.18.33')
    const pasted = r.states.get('pasted')!
    assert.match(pasted.cursorRow, /┃\s+\[Pasted ~11 lines\]/)
    assert.ok(textTaken(text(pasted), r.typed))
    assert.ok(stillInInput(pasted.cursorRow, r.typed))
    assert.ok(!screenShowsNeedleCompact(text(pasted), r.needle))
  })

  test('the submitted relay line, wrapped inside the `┃` border, verifies once the border is set aside', async () => {
    const r = await recorded('opencode-message')
    const submitted = r.states.get('submitted')!
    const boxed = submitted.rows.filter((row) => /^\s*┃/.test(row))
    assert.ok(boxed.some((row) => row.includes('Relay message from alice')), 'the relay line is drawn in the box')
    assert.ok(r.needle.length > 100, 'longer than a row of the box: it wraps')
    assert.ok(!screenShowsNeedle(text(submitted), r.needle), 'whitespace collapsing alone trips over the border of the wrapped row')
    assert.ok(screenShowsNeedleCompact(text(submitted), r.needle))
    assert.ok(!stillInInput(submitted.cursorRow, r.typed))
    assert.equal(profileFor('opencode').isBusy(viewOf(submitted)), true)
  })

  test('a relay line that is not on screen does not match because of the border either', async () => {
    const r = await recorded('opencode-message')
    const other = r.needle.replace('PING-1', 'PING-2')
    assert.ok(!screenShowsNeedleCompact(text(r.states.get('submitted')!), other))
  })
})
