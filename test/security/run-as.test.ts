/**
 * `run_as` (spawn): the agent's CLI runs as another local user, with no supplementary groups, and
 * cannot read the admin key; refused clearly for an unknown user or a broker without the privilege.
 * The tests run as root (so a broker may switch to `nobody`); a second broker runs as `nobody`.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { REPO, TestBroker, waitUntil } from '../e2e/harness.js'

const NOBODY = 65534

function sharedDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-runas-'))
  chmodSync(dir, 0o777)
  return dir
}

describe('run_as', { concurrency: 2 }, () => {
  test('the CLI runs as nobody, without root groups, and cannot read connection.json', async () => {
    const work = sharedDir()
    const b = new TestBroker()
    try {
      await b.ready()
      const events = b.events()
      await events.opened
      const res = await b.api('POST', '/api/spawn', { name: 'jailed', cli: 'bash', args: ['--norc', '--noprofile'], cwd: work, run_as: 'nobody' })
      assert.equal(res.status, 200, res.text)
      await events.waitKind('worker_ready', 'jailed')
      const conn = join(b.stateDir, 'connection.json')
      const cmd = `id -u > uid.txt; id -G > groups.txt; echo "$HOME" > home.txt; cat ${conn} > conn.txt 2>&1; echo done > done.txt\r`
      const input = await b.api('POST', '/api/input/jailed', { data: cmd })
      assert.equal(input.status, 200, input.text)
      await waitUntil(() => existsSync(join(work, 'done.txt')), 10_000, 'the commands ran')
      assert.equal(readFileSync(join(work, 'uid.txt'), 'utf8').trim(), String(NOBODY))
      assert.equal(readFileSync(join(work, 'groups.txt'), 'utf8').trim(), String(NOBODY), 'no supplementary group of the broker')
      assert.equal(readFileSync(join(work, 'home.txt'), 'utf8').trim(), '/nonexistent')
      assert.match(readFileSync(join(work, 'conn.txt'), 'utf8'), /Permission denied/)
      assert.doesNotMatch(readFileSync(join(work, 'conn.txt'), 'utf8'), /api_key/)
      events.close()
    } finally {
      await b.stop()
    }
  })

  test('an unknown user is a 400; a broker that is not root gets a 403 saying why', async () => {
    const b = new TestBroker()
    try {
      await b.ready()
      const res = await b.api('POST', '/api/spawn', { name: 'x1', cli: 'bash', run_as: 'no-such-user-here' })
      assert.equal(res.status, 400, res.text)
      assert.equal(res.body.code, 'unknown_user')
    } finally {
      await b.stop()
    }
    // The second broker runs as nobody: it must be able to reach the checkout (a 0700 clone dir cannot be).
    const reachable = spawnSync('test', ['-r', join(REPO, 'bin', 'broker')], { uid: NOBODY, gid: NOBODY }).status === 0
    assert.ok(reachable, `uid ${NOBODY} cannot read ${join(REPO, 'bin', 'broker')}: clone the repo where other users can reach it (no 0700 parent dir)`)
    const home = sharedDir()
    const state = join(home, 'state')
    mkdirSync(state, { mode: 0o700 })
    chownSync(state, NOBODY, NOBODY)
    const unprivileged = new TestBroker({ stateDir: state, uid: NOBODY, gid: NOBODY, env: { HOME: home } })
    try {
      await unprivileged.ready()
      const res = await unprivileged.api('POST', '/api/spawn', { name: 'x2', cli: 'bash', cwd: home, run_as: 'root' })
      assert.equal(res.status, 403, res.text)
      assert.equal(res.body.code, 'run_as_not_permitted')
      assert.match(res.body.message, /runs as uid 65534 .*must run as root/)
    } finally {
      await unprivileged.stop()
    }
  })
})
