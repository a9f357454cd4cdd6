/** Snapshot renderings of a real xterm screen. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Screen } from '../../src/pty/screen.js'
import { ansiScreen, parseSnapshotFormat, plainScreen, snapshotPayload } from '../../src/pty/snapshot.js'

async function screenWith(text: string, rows = 4, cols = 20): Promise<Screen> {
  const s = new Screen(rows, cols, () => {})
  s.feed(Buffer.from(text, 'utf8'))
  await s.settle()
  return s
}

describe('snapshot', () => {
  test('format parsing', () => {
    for (const f of ['', 'plain', ' TEXT ', 'Plain']) assert.equal(parseSnapshotFormat(f), 'plain', f)
    assert.equal(parseSnapshotFormat('ANSI'), 'ansi')
    assert.equal(parseSnapshotFormat('html'), null)
  })

  test('plain: every row right-trimmed with a newline, cursor 1-indexed', async () => {
    const s = await screenWith('hello   \r\n\r\nworld')
    assert.equal(plainScreen(s), 'hello\n\nworld\n\n')
    const p = snapshotPayload(s, 'plain')
    assert.deepEqual(p, { format: 'plain', rows: 4, cols: 20, cursor: [3, 6], screen: 'hello\n\nworld\n\n' })
    s.dispose()
  })

  test('ansi: SGR only where attributes change, colours of every kind, final reset and cursor', async () => {
    const s = await screenWith(
      '\x1b[1;31mAB\x1b[0m c\r\n\x1b[4;7;38;5;200mU\x1b[0;38;2;1;2;3;44mT\x1b[0;92;101mX\x1b[0m\r\n\x1b[48;5;17m \x1b[0m'
    )
    const out = ansiScreen(s.term)
    assert.equal(
      out,
      '\x1b[0m\x1b[H\x1b[2J' +
        '\x1b[1;1H\x1b[0;1;31mAB\x1b[0m c' +
        '\x1b[2;1H\x1b[0;4;7;38;5;200mU\x1b[0;38;2;1;2;3;44mT\x1b[0;92;101mX' +
        '\x1b[3;1H\x1b[0;48;5;17m ' +
        '\x1b[4;1H' +
        '\x1b[0m\x1b[3;2H'
    )
    const p = snapshotPayload(s, 'ansi')
    assert.equal(Buffer.from((p as { screen: string }).screen, 'base64').toString('utf8'), out)
    s.dispose()
  })

  test('ansi: wide characters are written once', async () => {
    const s = await screenWith('日本')
    assert.equal(ansiScreen(s.term), '\x1b[0m\x1b[H\x1b[2J\x1b[1;1H日本\x1b[2;1H\x1b[3;1H\x1b[4;1H\x1b[1;5H')
    s.dispose()
  })
})
