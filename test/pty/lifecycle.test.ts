/** The `broker pty` child's lifecycle: CLI exit status, spawn failure, shutdown of the CLI's whole process group, stdin EOF. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { processAlive } from '../../src/terminate/index.js'
import { ECHO_CLI, waitUntil, WorkerProcess } from './harness.js'

/** Does `pid` exist and is it not a zombie (an orphan's exit is reaped by init, maybe late)? */
function alive(pid: number): boolean {
  if (!processAlive(pid)) return false
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('Z')
  } catch {
    return false // ps found no such process
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/** Pids of the processes whose parent is `ppid` (via ps). */
function childrenOf(ppid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter(([pid, parent]) => parent === ppid && pid !== undefined && pid > 0)
    .map(([pid]) => pid!)
}

describe('broker pty lifecycle', { concurrency: 4 }, () => {
  test('the CLI exit code is reported: agent_exit, then worker_exited{code:3}, child exits 3', async () => {
    const w = new WorkerProcess(['node', ECHO_CLI, '--', '--exit-code', '3', '--exit-after-ms', '300'])
    w.init()
    const status = await w.exited
    assert.equal(status.code, 3)
    const types = w.frames.map((f) => f.type).filter((t) => t === 'agent_exit' || t === 'worker_exited')
    assert.deepEqual(types, ['agent_exit', 'worker_exited'])
    const exit = w.ofType('agent_exit')[0]!
    assert.equal(exit.payload.reason, 'child_exited')
    assert.match(exit.payload.last_output ?? '', /fixture ready\n>$/)
    assert.deepEqual(w.ofType('worker_exited')[0]!.payload, { code: 3, signal: null })
    // The stream was flushed before agent_exit.
    const lastStream = w.frames.map((f) => f.type).lastIndexOf('worker_stream')
    assert.ok(lastStream < w.frames.findIndex((f) => f.type === 'agent_exit'))
  })

  test('a CLI that does not exist: spawn_failed, worker_exited{code:127}, exit 127', async () => {
    const w = new WorkerProcess(['no-such-cli-for-relay-tests'])
    const status = await w.exited
    assert.equal(status.code, 127)
    assert.deepEqual(
      w.frames.map((f) => f.type),
      ['worker_error', 'worker_exited']
    )
    assert.deepEqual(w.frames[0]!.payload, {
      code: 'spawn_failed',
      message: "cli 'no-such-cli-for-relay-tests' not found",
      retryable: false
    })
    assert.deepEqual(w.frames[1]!.payload, { code: 127, signal: null })
  })

  test('shutdown_worker kills the CLI and its own children', async () => {
    const w = new WorkerProcess(['bash', '-c', 'sleep 300 & wait'])
    w.init()
    const started = await w.waitType('worker_started')
    const bashPid = started.payload.cli_pid
    let sleepPid = 0
    await waitUntil(() => (sleepPid = childrenOf(bashPid)[0] ?? 0) > 0, 5_000, 'the sleep child')
    assert.ok(alive(sleepPid))
    w.send('shutdown_worker', { reason: 'release', grace_ms: 1000 })
    const status = await w.exited
    const exited = w.ofType('worker_exited')[0]!
    assert.equal(exited.payload.code, null)
    assert.ok(['1', '15', '9'].includes(exited.payload.signal ?? ''), `killed by a signal, got ${exited.payload.signal}`)
    assert.notEqual(status.code, 0)
    try {
      assert.equal(alive(bashPid), false, 'bash is gone')
      await waitUntil(() => !alive(sleepPid), 2_000, 'the sleep child to die')
    } finally {
      kill(sleepPid)
    }
  })

  test('when the CLI exits, children it left behind are killed with its process group', async () => {
    // The background sleep ignores SIGHUP, so only the worker's SIGKILL to the group ends it.
    const w = new WorkerProcess(['bash', '-c', "trap '' HUP; sleep 300 & echo sleeper=$!; sleep 0.3; exit 3"])
    w.init()
    const status = await w.exited
    assert.equal(status.code, 3)
    const sleepPid = Number(/sleeper=(\d+)/.exec(w.streamText())?.[1])
    assert.ok(sleepPid > 0, w.streamText())
    try {
      assert.deepEqual(w.ofType('worker_exited')[0]!.payload, { code: 3, signal: null })
      await waitUntil(() => !alive(sleepPid), 2_000, 'the orphaned sleep to die')
    } finally {
      kill(sleepPid) // do not leak it when the test fails
    }
  })

  test('a fatal framing error is answered, then the CLI is shut down and the child exits non-zero', async () => {
    const w = new WorkerProcess(['node', ECHO_CLI])
    w.init()
    const started = await w.waitType('worker_started')
    await w.waitType('worker_ready')
    const header = Buffer.alloc(4)
    header.writeUInt32BE(0xffffffff, 0) // a length no frame may have: the framing is lost
    w.writeRaw(header)
    const status = await w.exited
    const err = w.ofType('worker_error')[0]!
    assert.equal(err.payload.code, 'frame_too_large')
    assert.equal(status.code, 76)
    assert.equal(alive(started.payload.cli_pid), false)
    assert.equal(w.ofType('worker_exited').length, 1)
  })

  test('stdin EOF (supervisor gone) shuts the CLI down', async () => {
    const w = new WorkerProcess(['node', ECHO_CLI])
    w.init()
    const started = await w.waitType('worker_started')
    await w.waitType('worker_ready')
    w.child.stdin!.end()
    await w.exited
    await waitUntil(() => !alive(started.payload.cli_pid), 2_000, 'the CLI to die')
    assert.equal(w.ofType('worker_exited').length, 1)
  })

  test('SIGTERM to the child shuts the CLI down and reports its status', async () => {
    const w = new WorkerProcess(['node', ECHO_CLI])
    w.init()
    const started = await w.waitType('worker_started')
    await w.waitType('worker_ready')
    w.child.kill('SIGTERM')
    await w.exited
    assert.equal(alive(started.payload.cli_pid), false)
    const exited = w.ofType('worker_exited')[0]!
    assert.equal(exited.payload.code, null)
    assert.equal(w.ofType('agent_exit').length, 0, 'a requested shutdown is not an agent exit')
  })

  test('agent_idle after the idle threshold, re-armed by output', async () => {
    const w = new WorkerProcess(['node', ECHO_CLI], { idleThresholdSecs: 1 })
    try {
      w.init()
      await w.waitType('worker_ready')
      const first = await w.waitType('agent_idle', () => true, 4_000)
      assert.ok(first.payload.idle_secs >= 1)
      w.send('write_pty', { data: 'wake\r' })
      await waitUntil(() => w.ofType('agent_idle').length === 2, 4_000, 'a second agent_idle')
      assert.equal(w.ofType('agent_idle').length, 2)
    } finally {
      await w.stop()
    }
  })
})
