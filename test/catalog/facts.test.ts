/** The facts file format (src/catalog/facts.ts): written lines read back; bad lines skipped. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { factLine, parseFactLine, parseFacts } from '../../src/catalog/facts.js'
import { FactsStore } from '../../src/pty/facts.js'
import { readFacts } from '../../src/supervisor/state/facts-reader.js'

describe('facts file format', () => {
  test('round trip: each written line reads back as what was written', () => {
    for (const fact of ['injecting', 'verified', 'failed'] as const) {
      const line = factLine('del_1', fact)
      assert.ok(line.endsWith('\n'))
      assert.deepEqual(parseFactLine(line.trimEnd()), { id: 'del_1', fact })
    }
  })

  test('the last fact per id wins, in order of recency; malformed lines are skipped', () => {
    const text = [
      factLine('del_a', 'injecting'),
      factLine('del_b', 'injecting'),
      '{"id":"del_c","fact":"typed"}\n', // unknown fact
      '{"id":7,"fact":"failed"}\n', // id not a string
      'null\n',
      '42\n',
      '\n',
      'not json at all\n',
      factLine('del_a', 'verified'),
      '{"id":"del_b","fa' // torn last line from a crash
    ].join('')
    const facts = parseFacts(text)
    assert.deepEqual([...facts], [
      ['del_b', 'injecting'],
      ['del_a', 'verified']
    ])
  })

  test('an empty text has no facts', () => {
    assert.equal(parseFacts('').size, 0)
  })
})

describe('facts file: the writer (pty) and the reader (supervisor) agree', () => {
  test('what FactsStore records, readFacts reads; a torn line does not hide the others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facts-'))
    try {
      const path = join(dir, 'alice.log')
      const store = new FactsStore(path)
      store.record('del_1', 'injecting', true)
      store.record('del_2', 'injecting', false)
      store.record('del_1', 'verified', false)
      store.close()
      writeFileSync(path, readFileSync(path, 'utf8') + '{"id":"del_3",', { flag: 'w' })
      assert.deepEqual(Object.fromEntries(readFacts(path)), { del_1: 'verified', del_2: 'injecting' })
      const again = new FactsStore(path)
      assert.equal(again.get('del_1'), 'verified')
      assert.equal(again.get('del_3'), undefined)
      again.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a missing file reads as no facts', () => {
    assert.equal(readFacts(join(tmpdir(), 'no-such-dir-for-facts', 'bob.log')).size, 0)
  })
})
