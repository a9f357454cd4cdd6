/** Paste placeholders, "taken" and "still in the input row" as each CLI shows them (src/pty/inject/submit.ts). */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { INPUT_BOX_ROWS_ABOVE, inputRowsAbove, placeholdersIn, showsPlaceholderFor, stillInInput, stillInInputBox, textTaken } from '../../../src/pty/inject/submit.js'

const lines = (n: number): string => Array.from({ length: n }, (_, i) => `line ${i + 1}`).join('\n')

describe('paste placeholders', () => {
  test('each CLI states the size its own way; only a matching size counts', () => {
    const eleven = lines(11)
    assert.ok(showsPlaceholderFor(' > [Pasted text #1 +10 lines]', eleven), 'claude counts the lines after the first')
    assert.ok(showsPlaceholderFor(`› [Pasted Content ${eleven.length} chars]`, eleven), 'codex counts characters')
    assert.ok(showsPlaceholderFor(' * [Pasted Text: 11 lines]', eleven), 'gemini counts lines')
    assert.ok(showsPlaceholderFor('[Pasted ~11 lines]', eleven))
    assert.ok(!showsPlaceholderFor(' * [Pasted Text: 12 lines]', eleven))
    assert.ok(!showsPlaceholderFor(' > [Pasted text #1 +11 lines]', eleven))
  })

  test('gemini 0.61: characters for a long paste of few lines, and a #N suffix for a second equal paste', () => {
    const long = `${'x'.repeat(2990)}\nend`
    assert.ok(showsPlaceholderFor(` * [Pasted Text: ${long.length} chars]`, long))
    assert.ok(showsPlaceholderFor(' * [Pasted Text: 11 lines #2]', lines(11)))
    assert.deepEqual(
      placeholdersIn('[Pasted Text: 11 lines] [Pasted Text: 3003 chars #3]').map((p) => [p.kind, p.n]),
      [
        ['lines', 11],
        ['chars', 3003]
      ]
    )
  })
})

describe('taken and still in the input row', () => {
  const typed = `Relay message from boss [local / http_0123]:\nplease answer PING-1 and the rest of it`

  test('taken: the placeholder, or the end of the text (borders, wraps and indents ignored)', () => {
    assert.ok(textTaken('┃  please answer PING-1 and the rest\n┃  of it', typed))
    assert.ok(!textTaken('┃  Relay message from boss', typed))
    assert.ok(textTaken(' * [Pasted Text: 11 lines]', lines(11)))
  })

  test('still in the input row: the placeholder or the end of the text on the cursor row; an empty prompt is not', () => {
    assert.ok(stillInInput(' * [Pasted Text: 11 lines]', lines(11)))
    assert.ok(stillInInput('> please answer PING-1 and the rest of it', typed))
    assert.ok(!stillInInput(' *   Type your message or @path/to/file', typed))
    assert.ok(!stillInInput(' > ', typed))
  })
})

describe('the input box above the cursor row', () => {
  const view = (rows: string[], cursorIndex: number) => ({ visibleRows: () => rows, cursor: (): [number, number] => [cursorIndex + 1, 1], cursorRowText: () => rows[cursorIndex]! })

  test('gemini under load took an early Enter as a newline: the placeholder is a row above the cursor, still in the box', () => {
    const rows = ['history', '────────────────────', ' YOLO Ctrl+Y', '', ' * [Pasted Text: 11 lines]', '', ' workspace (/directory)']
    assert.ok(stillInInputBox(view(rows, 5), lines(11)))
  })

  test('a placeholder in the history above the box edge (a rule) is not in the box: no Enter for a submitted message', () => {
    const rows = ['> [Pasted text #1 +10 lines]', '────────────────────', '❯ ', '────────────────────']
    assert.ok(!stillInInputBox(view(rows, 2), lines(11)))
    assert.deepEqual(inputRowsAbove(rows, 2), [])
  })

  test('at most a few rows above the cursor count', () => {
    const rows = ['[Pasted Text: 11 lines]', 'a', 'b', 'c', 'd', '> ']
    assert.ok(!stillInInputBox(view(rows, 5), lines(11)))
    assert.equal(inputRowsAbove(rows, 5).length, INPUT_BOX_ROWS_ABOVE)
  })
})
