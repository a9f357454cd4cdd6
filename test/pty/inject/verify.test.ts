/** Echo verification against a real xterm screen: wrapped rows, multi-line text, head/tail for long text, no false match. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { charSafeTail, renderBufferText, Screen } from '../../../src/pty/screen.js'
import { collapseWhitespace, echoNeedle, echoTimeoutReason, screenShowsNeedle } from '../../../src/pty/inject/verify.js'

async function screenWith(text: string, cols = 40, rows = 10): Promise<Screen> {
  const s = new Screen(rows, cols, () => {})
  s.feed(Buffer.from(text, 'utf8'))
  await s.settle()
  return s
}

describe('screen text rendering', () => {
  test('soft-wrapped rows join without separator, hard breaks become newlines', async () => {
    const s = await screenWith('> ' + 'a'.repeat(45) + '\r\nnext line   \r\n', 20)
    const text = renderBufferText(s.term.buffer.active)
    assert.equal(text.split('\n')[0], '> ' + 'a'.repeat(45))
    assert.equal(text.split('\n')[1], 'next line')
    s.dispose()
  })

  test('a space that falls on the wrap point is kept', async () => {
    const s = await screenWith('0123456789 abc', 10)
    assert.equal(renderBufferText(s.term.buffer.active).split('\n')[0], '0123456789 abc')
    const s2 = await screenWith('012345678 abc', 10)
    assert.equal(renderBufferText(s2.term.buffer.active).split('\n')[0], '012345678 abc')
    s.dispose()
    s2.dispose()
  })

  test('text from a marker excludes what came before it', async () => {
    const s = await screenWith('old: Relay message from a [e]: x\r\n> ')
    const marker = s.markCursorLine()
    s.feed(Buffer.from('typed\r\n'))
    await s.settle()
    const text = s.textFrom(marker)
    assert.equal(text.trim(), '> typed')
    assert.ok(s.textFrom(undefined).includes('old: Relay'))
    s.dispose()
  })

  test('nextParsed resolves once output fed later is parsed, or at its timeout with nothing fed', async () => {
    const s = await screenWith('> ')
    const waiting = s.nextParsed(60_000)
    s.feed(Buffer.from('typed'))
    await waiting
    assert.equal(s.cursorRowText(), '> typed', 'the new output is on the screen when it resolves')
    await s.nextParsed(5) // nothing fed: the timeout ends the wait
    s.dispose()
  })

  test('tail text is char-safe', () => {
    assert.equal(charSafeTail('ab😀cd', 3), 'cd', 'never starts with half a surrogate pair')
    assert.equal(charSafeTail('a😀', 2), '😀')
    assert.equal(charSafeTail('a😀', 1), '')
    assert.equal(charSafeTail('abc', 10), 'abc')
  })
})

describe('needle matching', () => {
  const line = 'Relay message from alice [ev1]: please run the tests'

  test('whitespace collapsing', () => {
    assert.equal(collapseWhitespace('a \n\t b'), 'a b')
    assert.equal(echoNeedle('  a\n b  '), 'a b')
  })

  test('a wrapped echo matches', async () => {
    const s = await screenWith('> ' + line + '\r\n', 20)
    assert.ok(screenShowsNeedle(s.textFrom(undefined), echoNeedle(line)))
    s.dispose()
  })

  test('a multi-line body matches across rows', async () => {
    const body = 'Relay message from alice [ev1]: first line\nsecond   line\n\nthird'
    const s = await screenWith('> Relay message from alice [ev1]: first line\r\nsecond   line\r\n\r\nthird\r\n', 30)
    assert.ok(screenShowsNeedle(s.textFrom(undefined), echoNeedle(body)))
    s.dispose()
  })

  test('no match when the text is not there or only partly there', async () => {
    const s = await screenWith('> Relay message from alice [ev1]: please run\r\n')
    assert.equal(screenShowsNeedle(s.textFrom(undefined), echoNeedle(line)), false)
    assert.equal(screenShowsNeedle('', echoNeedle(line)), false)
    assert.equal(screenShowsNeedle('anything', ''), false)
    s.dispose()
  })

  test('long text: head then tail is enough, tail before head is not', () => {
    const long = 'Relay message from a [e]: ' + Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ')
    const needle = echoNeedle(long)
    assert.ok(needle.length > 400)
    const head = needle.slice(0, 160)
    const tail = needle.slice(-80)
    assert.ok(screenShowsNeedle(`${head} [... 300 chars elided ...] ${tail}`, needle))
    assert.equal(screenShowsNeedle(`${tail} xx ${head}`, needle), false)
    assert.equal(screenShowsNeedle(head, needle), false)
    assert.ok(screenShowsNeedle(`> ${long}\n`, needle))
  })

  test('short text must match in full', () => {
    const needle = echoNeedle(line)
    assert.equal(screenShowsNeedle(`${needle.slice(0, 20)} ... ${needle.slice(-10)}`, needle), false)
  })

  test('timeout reason names the window', () => {
    assert.equal(echoTimeoutReason(5000), 'echo not seen on screen within 5s')
    assert.equal(echoTimeoutReason(1500), 'echo not seen on screen within 1.5s')
  })
})
