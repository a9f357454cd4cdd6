/** Whole-file replacement: new content or old, never a mix; no temp file left; a planted symlink is replaced, not followed. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync, lstatSync, statSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomicSync } from '../../src/protocol/atomic-file.js'

const dir = () => mkdtempSync(join(tmpdir(), 'relay-atomic-'))

test('writes a new file with the mode asked, and replaces an old one whole', () => {
  const d = dir()
  const p = join(d, 'state.json')
  writeFileAtomicSync(p, 'one')
  assert.equal(readFileSync(p, 'utf8'), 'one')
  assert.equal(statSync(p).mode & 0o777, 0o600)
  writeFileAtomicSync(p, Buffer.from('two'), 0o644)
  assert.equal(readFileSync(p, 'utf8'), 'two')
  assert.equal(statSync(p).mode & 0o777, 0o644)
  assert.deepEqual(readdirSync(d), ['state.json'], 'no temp file stays behind')
})

test('a symlink planted at the path is replaced by the file; what it pointed at is untouched', () => {
  const d = dir()
  const target = join(d, 'elsewhere')
  writeFileSync(target, 'precious')
  const p = join(d, 'facts.log')
  symlinkSync(target, p)
  writeFileAtomicSync(p, 'mine')
  assert.equal(lstatSync(p).isSymbolicLink(), false)
  assert.equal(readFileSync(p, 'utf8'), 'mine')
  assert.equal(readFileSync(target, 'utf8'), 'precious')
})

test('a write that fails at the rename leaves what was there and no temp file', () => {
  const d = dir()
  const p = join(d, 'busy')
  mkdirSync(p)
  writeFileSync(join(p, 'inside'), 'kept')
  assert.throws(() => writeFileAtomicSync(p, 'new'), /EISDIR|ENOTEMPTY|EEXIST/)
  assert.deepEqual(readdirSync(d), ['busy'])
  assert.equal(readFileSync(join(p, 'inside'), 'utf8'), 'kept')
})
