/**
 * The state dir is not trusted blindly (real brokers): group/world-writable or foreign-owned dirs
 * are refused, a dir the broker creates is 0700, planted symlinks in logs/, facts/ and at the journal are never
 * written through; `--api-bind ::1` gives `http://[::1]:PORT` everywhere.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, TestBroker } from '../e2e/harness.js'

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'relay-statedir-'))
}

async function refused(stateDir: string): Promise<string> {
  const b = new TestBroker({ stateDir })
  await assert.rejects(b.ready(10_000), /exited with 1/)
  return b.stderr
}

describe('state dir', { concurrency: 2 }, () => {
  test('an existing world- or group-writable state dir is refused with a clear message', async () => {
    for (const [mode, who] of [
      [0o777, 'world'],
      [0o770, 'group'],
      [0o1777, 'world']
    ] as const) {
      const dir = join(tempDir(), 'state')
      mkdirSync(dir)
      chmodSync(dir, mode)
      const stderr = await refused(dir)
      assert.match(stderr, new RegExp(`state dir .*state is ${who}-writable .*refusing to use it`), stderr)
    }
  })

  test('a state dir owned by another user is refused (the tests run as root, so they can chown)', async () => {
    const dir = join(tempDir(), 'state')
    mkdirSync(dir, { mode: 0o700 })
    chownSync(dir, 65534, 65534)
    const stderr = await refused(dir)
    assert.match(stderr, /is owned by uid 65534, not by this user/)
  })

  test('a state dir the broker creates is 0700 whatever the umask; --name is made a valid name', async () => {
    const dir = join(tempDir(), 'new', 'state')
    const b = new TestBroker({ stateDir: dir })
    try {
      await b.ready()
      assert.equal(statSync(dir).mode & 0o777, 0o700)
      assert.equal(statSync(join(dir, 'logs')).mode & 0o777, 0o700)
    } finally {
      await b.stop()
    }
    const odd = new TestBroker({ stateDir: join(tempDir(), 'state'), args: ['--name', 'My Project/\r x'] })
    try {
      await odd.ready()
      const events = odd.events()
      await events.opened
      await odd.spawnAgent('a1', ECHO_CLI)
      await odd.api('POST', '/api/send', { to: 'a1', text: 'hi' })
      const accepted = await events.waitKind('delivery_accepted', 'a1')
      assert.equal(accepted.from, 'My-Project-x', 'the broker sends as the valid form of its name')
      events.close()
    } finally {
      await odd.stop()
    }
  })

  test('symlinks planted at logs/<agent>.log and facts/<agent>.log are never written through', async () => {
    const dir = tempDir()
    const state = join(dir, 'state')
    mkdirSync(join(state, 'logs'), { recursive: true, mode: 0o700 })
    mkdirSync(join(state, 'facts'), { recursive: true, mode: 0o700 })
    chmodSync(state, 0o700)
    const outsideLog = join(dir, 'outside-log.txt')
    const outsideFacts = join(dir, 'outside-facts.txt')
    writeFileSync(outsideLog, 'untouched\n')
    writeFileSync(outsideFacts, 'untouched\n')
    symlinkSync(outsideLog, join(state, 'logs', 'victim.log'))
    symlinkSync(outsideFacts, join(state, 'facts', 'other.log'))
    const b = new TestBroker({ stateDir: state })
    try {
      await b.ready()
      const events = b.events()
      await events.opened
      const res = await b.api('POST', '/api/spawn', { name: 'victim', cli: ECHO_CLI })
      assert.equal(res.status, 409, res.text)
      assert.equal(res.body.code, 'unsafe_state_file')
      await b.spawnAgent('other', ECHO_CLI)
      await events.waitKind('worker_ready', 'other')
      const send = await b.api('POST', '/api/send', { to: 'other', text: 'hello' })
      assert.equal(send.status, 200)
      await events.waitFor((e) => e.kind === 'delivery_verified' && e.delivery_id === send.body.deliveries[0].delivery_id)
      events.close()
    } finally {
      await b.stop()
    }
    assert.equal(readFileSync(outsideLog, 'utf8'), 'untouched\n')
    assert.equal(readFileSync(outsideFacts, 'utf8'), 'untouched\n')
  })

  test('a symlink planted at deliveries.jsonl is never appended through: the broker refuses to start', async () => {
    const dir = tempDir()
    const state = join(dir, 'state')
    mkdirSync(state, { mode: 0o700 })
    chmodSync(state, 0o700)
    const outside = join(dir, 'outside-journal.txt')
    writeFileSync(outside, 'untouched\n')
    symlinkSync(outside, join(state, 'deliveries.jsonl'))
    const b = new TestBroker({ stateDir: state })
    try {
      await assert.rejects(b.ready(10_000), /exited with 1/)
      assert.match(b.stderr, /ELOOP|symbolic link/i, b.stderr)
    } finally {
      await b.stop()
    }
    assert.equal(readFileSync(outside, 'utf8'), 'untouched\n')
  })

  test('--api-bind ::1: http://[::1]:PORT in the stdout line, connection.json and the agent environment', async () => {
    const b = new TestBroker({ args: ['--api-bind', '::1'] })
    try {
      await b.ready()
      assert.match(b.url, /^http:\/\/\[::1\]:\d+$/)
      assert.equal(b.connection().url, b.url)
      const health = await b.api('GET', '/health')
      assert.equal(health.status, 200)
      const spawned = await b.spawnAgent('v6', ECHO_CLI)
      const environ = readFileSync(`/proc/${spawned.pid}/environ`, 'utf8').split('\0')
      assert.ok(environ.includes(`RELAY_BROKER_URL=${b.url}`), environ.filter((e) => e.startsWith('RELAY_')).join(' '))
    } finally {
      await b.stop()
    }
  })
})
