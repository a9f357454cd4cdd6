/** One broker per state dir; a lock left by a killed broker is recovered. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TestBroker } from './harness.js'

test('a second broker on the same state dir exits non-zero with a clear message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-lock-'))
  const first = await new TestBroker({ stateDir: dir }).ready()
  try {
    const conn = first.connection()
    assert.equal(conn.pid, first.proc.pid)
    assert.equal(conn.api_key, first.apiKey)
    assert.equal(conn.url, first.url)
    assert.equal(statSync(join(dir, 'connection.json')).mode & 0o777, 0o600)

    const second = new TestBroker({ stateDir: dir })
    const { code } = await second.exited
    assert.notEqual(code, 0)
    assert.match(second.stderr, /another broker is already running on state dir .* \(pid \d+\)/)
    // The first one is unharmed.
    assert.equal((await first.api('GET', '/api/session')).status, 200)

    first.proc.kill('SIGKILL')
    await first.exited
    const third = await new TestBroker({ stateDir: dir }).ready()
    try {
      assert.equal((await third.api('GET', '/api/session')).status, 200)
      assert.equal(third.connection().pid, third.proc.pid)
    } finally {
      await third.stop()
    }
    assert.equal(existsSync(join(dir, 'connection.json')), false, 'connection.json removed on clean shutdown')
  } finally {
    await first.stop()
  }
})

test('SIGTERM: clean exit 0, files cleaned', async () => {
  const broker = await new TestBroker().ready()
  assert.ok(broker.connection())
  broker.proc.kill('SIGTERM')
  const { code } = await broker.exited
  assert.equal(code, 0)
  assert.equal(broker.connection(), null)
  assert.equal(existsSync(join(broker.stateDir, 'broker.lock')), false)
})
