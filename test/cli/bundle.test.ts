import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { BUNDLED_COMMANDS, bundleFile, CODE_CACHE_WRITE_ENV, isFresh, loadBundle, loadCommandBundle, NO_BUNDLE_ENV } from '../../src/cli/bundle.js'
import { startupCode } from '../../src/cli/startup-code.js'
import { BROKER_BIN } from '../e2e/harness.js'

/** A bundle as scripts/bundle.mjs writes one: a function expression given the CommonJS arguments. */
function writeFixture(dir: string, body: string): string {
  const file = join(dir, 'fixture.js')
  writeFileSync(file, `(function (exports, require, module, __filename, __dirname) {"use strict";${body}\n})`)
  return file
}

test('a bundle runs once and hands back its exports, with require and __filename of its own file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'))
  try {
    const file = writeFixture(dir, `globalThis.__bundleRuns = (globalThis.__bundleRuns ?? 0) + 1; exports.where = __filename; exports.dir = __dirname; exports.join = require('node:path').join('a', 'b'); exports.strict = (function () { return this })() === undefined`)
    const b = loadBundle(file)
    assert.ok(b)
    assert.equal(b.exports.where, file)
    assert.equal(b.exports.dir, dir)
    assert.equal(b.exports.join, join('a', 'b'))
    assert.equal(b.exports.strict, true, 'bundles run in strict mode, as the ES modules they come from')
    assert.equal((globalThis as Record<string, unknown>).__bundleRuns, 1)
    assert.deepEqual(b.code, { from: 'bundle', codeCache: 'none' })
    assert.deepEqual(startupCode(), b.code, 'the process records what it started from')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

/** Loads `file` in a fresh node (V8 keeps compiled scripts per process); with `save`, writes its cache. */
function loadInFreshNode(file: string, save: boolean): { codeCache: string; sum: number } {
  const loader = new URL('../../src/cli/bundle.js', import.meta.url).href
  const code = `const { loadBundle } = await import(${JSON.stringify(loader)}); const b = loadBundle(${JSON.stringify(file)}); const sum = b.exports.sum(2, 3); if (${save}) await b.saveCodeCache(); process.stdout.write(JSON.stringify({ codeCache: b.code.codeCache, sum }))`
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })) as { codeCache: string; sum: number }
}

test('the code cache is written next to the bundle, taken on the next start, and a damaged one is refused without harm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'))
  try {
    const file = writeFixture(dir, `exports.sum = function (a, b) { return a + b }`)
    assert.deepEqual(loadInFreshNode(file, true), { codeCache: 'none', sum: 5 })
    const cache = join(dir, 'fixture.v8cache')
    assert.ok(existsSync(cache))
    assert.deepEqual(loadInFreshNode(file, false), { codeCache: 'accepted', sum: 5 })
    const bytes = readFileSync(cache)
    bytes.fill(7, 0, 32)
    writeFileSync(cache, bytes)
    assert.deepEqual(loadInFreshNode(file, false), { codeCache: 'rejected', sum: 5 }, 'a refused cache only costs a compile')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('only init, pty and headless have bundles; RELAY_BROKER_NO_BUNDLE=1 or a missing file means the modules', () => {
  assert.deepEqual([...BUNDLED_COMMANDS], ['init', 'pty', 'headless'])
  assert.equal(loadCommandBundle('status', {}), null)
  assert.equal(loadCommandBundle('mcp', {}), null)
  assert.equal(loadCommandBundle('init', { [NO_BUNDLE_ENV]: '1' }), null)
  assert.equal(loadBundle(join(tmpdir(), 'no-such-bundle.js')), null)
})

test('a bundle older than the compiled modules (tsc ran after the build) is stale', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'))
  try {
    const bundle = writeFixture(dir, '')
    const source = join(dir, 'main.js')
    writeFileSync(source, '')
    const t = Date.now() / 1000
    utimesSync(source, t - 60, t - 60)
    utimesSync(bundle, t, t)
    assert.equal(isFresh(bundle, source), true)
    utimesSync(source, t + 60, t + 60)
    assert.equal(isFresh(bundle, source), false)
    assert.equal(isFresh(join(dir, 'missing.js'), source), false)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the build wrote a bundle for each bundled command: no import() in it, and Latin-1 only', () => {
  for (const command of BUNDLED_COMMANDS) {
    const file = bundleFile(command)
    assert.ok(existsSync(file), `${command} has no bundle: did npm run build run scripts/bundle.mjs?`)
    // a function V8 takes from the code cache has no dynamic-import callback: import() would throw
    const text = readFileSync(file, 'utf8')
    assert.doesNotMatch(text, /\bimport\(\s*["'`]/, `${command}'s bundle still has an import()`)
    // one character above U+00FF (a glyph in a regex literal: write it \uXXXX) and V8 keeps the whole
    // source, every process's largest string, at two bytes per character
    const wide = /[^\u0000-\u00ff]/.exec(text)
    assert.equal(wide, null, `${command}'s bundle is not Latin-1: ${JSON.stringify(text.slice((wide?.index ?? 0) - 40, (wide?.index ?? 0) + 10))}`)
  }
})

test('broker init starts from its bundle and says so on its ready line; a usage error still exits 2 with the usage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-init-'))
  const env: NodeJS.ProcessEnv = { ...process.env, RELAY_BROKER_API_KEY: 'br_bundle_test', RELAY_LOG_FORMAT: 'json' }
  delete env[NO_BUNDLE_ENV]
  delete env[CODE_CACHE_WRITE_ENV]
  const p = spawn(process.execPath, [BROKER_BIN, 'init', '--name', 'bundled', '--state-dir', dir], { env, stdio: ['ignore', 'ignore', 'pipe'] })
  try {
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      createInterface({ input: p.stderr! }).on('line', (l) => {
        if (l.includes('"broker ready"')) resolve(JSON.parse(l) as Record<string, unknown>)
      })
      p.once('exit', (code) => reject(new Error(`broker exited ${code} before it was ready`)))
    })
    assert.equal((ready.startup as { from: string }).from, 'bundle')
  } finally {
    p.kill('SIGTERM')
    await new Promise((r) => p.once('exit', r))
    rmSync(dir, { recursive: true, force: true })
  }
  let status = 0
  let stderr = ''
  try {
    execFileSync(process.execPath, [BROKER_BIN, 'init', '--no-such-flag'], { env, stdio: 'pipe' })
  } catch (err) {
    status = (err as { status: number }).status
    stderr = String((err as { stderr: Buffer }).stderr)
  }
  assert.equal(status, 2)
  assert.match(stderr, /usage: broker <command>/)
})
