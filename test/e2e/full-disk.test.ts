/**
 * A full state-dir disk (a small tmpfs, mounted by the test; needs root and `mount`): sends that
 * cannot be made durable are refused with 507 and leave nothing behind; a spawn that cannot be
 * recorded is refused; the broker works again when space returns, without a restart; every
 * 200-answered send survives kill -9 + restart and is delivered, once.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, unlinkSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ECHO_CLI, TestBroker, readJsonLines, waitUntil, type EventLog } from './harness.js'

const TMPFS_SIZE = '4m'

/** Mounts a small tmpfs; returns why not when it cannot. */
function mountTmpfs(dir: string): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root: cannot mount a tmpfs'
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', dir], { stdio: 'pipe' })
    return null
  } catch (err) {
    return `mount -t tmpfs failed: ${(err as Error).message.split('\n')[0]}`
  }
}

/** Writes into `path` until the filesystem says ENOSPC. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w')
  try {
    for (const size of [1 << 16, 1 << 12, 1 << 8, 1]) {
      const chunk = Buffer.alloc(size, 0x61)
      for (;;) {
        try {
          if (writeSync(fd, chunk) < size) break
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break
          throw err
        }
      }
    }
  } finally {
    closeSync(fd)
  }
}

const mountDir = mkdtempSync(join(tmpdir(), 'relay-fulldisk-'))
const notMounted = mountTmpfs(mountDir)
if (notMounted) process.stdout.write(`# full-disk test skipped: ${notMounted} (the journal's fault handling is covered with injected write errors in test/supervisor/delivery/journal-faults.test.ts)\n`)

describe('full disk', { skip: notMounted ?? false }, () => {
  const stateDir = join(mountDir, 'state')
  const filler = join(mountDir, 'filler')
  const fixtureLog = join(mkdtempSync(join(tmpdir(), 'relay-fulldisk-log-')), 'fixture.jsonl')
  let broker: TestBroker
  let events: EventLog

  before(async () => {
    mkdirSync(stateDir)
    broker = await new TestBroker({ stateDir, env: { FIXTURE_LOG: fixtureLog } }).ready()
    events = broker.events()
    await events.opened
    await broker.spawnAgent('keeper', ECHO_CLI)
    await events.waitKind('worker_ready', 'keeper')
    // Deliveries stay in the mailbox until flushed, so what survives is visible.
    assert.equal((await broker.api('PUT', '/api/spawned/keeper/delivery-mode', { mode: 'manual_flush' })).status, 200)
  })

  after(async () => {
    events?.close()
    await broker?.stop()
    try {
      execFileSync('umount', ['-l', mountDir], { stdio: 'pipe' })
      rmSync(mountDir, { recursive: true, force: true })
    } catch {
      // left for the OS
    }
  })

  test('refused sends leave nothing; a spawn that cannot be recorded is refused; 200s survive kill -9 and are delivered once', async () => {
    fillDisk(filler)
    const accepted: { id: string; text: string }[] = []
    const refused: string[] = []
    const pad = 'x'.repeat(2_000)
    for (let i = 0; i < 40; i++) {
      const text = `full disk message ${i} ${pad}`
      const res = await broker.api('POST', '/api/send', { to: 'keeper', text })
      if (res.status === 200) accepted.push({ id: res.body.deliveries[0].delivery_id, text })
      else {
        assert.equal(res.status, 507, res.text)
        assert.equal(res.body.code, 'storage_unavailable')
        assert.match(res.body.message, /ENOSPC/)
        assert.match(res.body.message, /Free space/)
        refused.push(text)
      }
    }
    assert.ok(refused.length > 0, 'the full disk refused some sends')
    // Nothing of a refused send stayed behind: not in the open deliveries, not in /health, no event.
    const open = (await broker.api('GET', '/api/deliveries?name=keeper')).body.deliveries.map((d: { delivery_id: string }) => d.delivery_id)
    assert.deepEqual(open.sort(), accepted.map((a) => a.id).sort())
    assert.equal((await broker.api('GET', '/health')).body.pendingDeliveryCount, accepted.length)
    assert.equal(events.of('delivery_accepted', 'keeper').length, accepted.length)
    const status = (await broker.api('GET', '/api/status')).body
    assert.equal(status.storage.ok, false)
    assert.match(status.storage.delivery_journal.last_error, /ENOSPC/)

    // A spawn whose record cannot be written is refused before any child starts.
    const spawn = await broker.api('POST', '/api/spawn', { name: 'nospace', cli: ECHO_CLI })
    assert.equal(spawn.status, 507, spawn.text)
    assert.equal(spawn.body.code, 'storage_unavailable')
    const agents = (await broker.api('GET', '/api/spawned')).body.agents.map((a: { name: string }) => a.name)
    assert.deepEqual(agents, ['keeper'])
    assert.equal(events.of('agent_spawned', 'nospace').length, 0)
    // The broker keeps retrying the state file (a write may be in flight); a failed one leaves no temp file.
    await waitUntil(() => readdirSync(stateDir).filter((f) => f.endsWith('.tmp')).length === 0, 5_000, 'no temp files left behind')

    // Space comes back: the broker works again without a restart.
    unlinkSync(filler)
    const again = await broker.api('POST', '/api/send', { to: 'keeper', text: `full disk message after space ${pad}` })
    assert.equal(again.status, 200, again.text)
    accepted.push({ id: again.body.deliveries[0].delivery_id, text: `full disk message after space ${pad}` })
    const spawned = await broker.api('POST', '/api/spawn', { name: 'roomy', cli: ECHO_CLI })
    assert.equal(spawned.status, 200, spawned.text)

    // kill -9, restart on the same state dir: every accepted send comes back and is delivered once.
    events.close()
    broker.proc.kill('SIGKILL')
    await broker.exited
    broker = await new TestBroker({ stateDir, env: { FIXTURE_LOG: fixtureLog } }).ready()
    events = broker.events()
    await events.opened
    await events.waitKind('worker_ready', 'keeper', 30_000)
    const back = (await broker.api('GET', '/api/deliveries?name=keeper')).body.deliveries.map((d: { delivery_id: string }) => d.delivery_id)
    assert.deepEqual(back.sort(), accepted.map((a) => a.id).sort(), 'every 200-answered send survived')
    assert.equal((await broker.api('POST', '/api/spawned/keeper/flush')).status, 200)
    await events.waitCount((e) => e.kind === 'delivery_verified' && accepted.some((a) => a.id === e.delivery_id), accepted.length, 90_000)
    const typed = readJsonLines(fixtureLog).filter((l) => l.agent === 'keeper')
    for (const a of accepted) assert.equal(typed.filter((l) => l.line.endsWith(a.text)).length, 1, `typed once: ${a.text.slice(0, 24)}`)
    for (const r of refused) assert.equal(typed.filter((l) => l.line.endsWith(r)).length, 0, `refused, never typed: ${r.slice(0, 24)}`)
  })
})
