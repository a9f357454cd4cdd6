/** TERM → grace → KILL (src/terminate/), on real child processes. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { processAlive, signalGroup, signalNumber, terminateGroup, terminateProcesses } from '../../src/terminate/index.js'

/** A node process in its own process group; `ignoreTerm`: it survives SIGTERM. Resolves once it runs. */
async function startChild(ignoreTerm: boolean): Promise<{ child: ChildProcess; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }> {
  const script = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000); console.log('up')`
  const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] })
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  await once(child.stdout!, 'data') // its handlers are installed
  return { child, exit }
}

describe('terminateGroup', () => {
  test('a process that ignores SIGTERM is SIGKILLed after the grace', async () => {
    const { child, exit } = await startChild(true)
    let killed = false
    terminateGroup(child.pid!, { graceMs: 100, onKill: () => (killed = true) })
    assert.deepEqual(await exit, { code: null, signal: 'SIGKILL' })
    assert.equal(killed, true)
  })

  test('a process that exits on SIGTERM is not killed once the escalation is cancelled', async () => {
    const { child, exit } = await startChild(false)
    let killed = false
    const t = terminateGroup(child.pid!, { graceMs: 100, onKill: () => (killed = true) })
    assert.deepEqual(await exit, { code: null, signal: 'SIGTERM' })
    t.cancel()
    await new Promise((r) => setTimeout(r, 300)) // past the grace
    assert.equal(killed, false)
  })

  test('the first signals are the caller\'s', async () => {
    const { child, exit } = await startChild(true)
    const t = terminateGroup(child.pid!, { signals: ['SIGINT'], graceMs: 60_000 })
    assert.deepEqual(await exit, { code: null, signal: 'SIGINT' })
    t.cancel()
  })
})

describe('terminateProcesses', () => {
  test('polls until the processes are gone: SIGTERM first, SIGKILL for those that stay', async () => {
    const stubborn = await startChild(true)
    const polite = await startChild(false)
    const gone = new Set<number>()
    void stubborn.exit.then(() => gone.add(stubborn.child.pid!))
    void polite.exit.then(() => gone.add(polite.child.pid!))
    const pids = [stubborn.child.pid!, polite.child.pid!]
    const r = await terminateProcesses(() => pids.filter((p) => !gone.has(p)), { graceMs: 200, goneWaitMs: 10_000 })
    assert.deepEqual(r, { found: pids, survivors: [] })
    assert.equal((await polite.exit).signal, 'SIGTERM')
    assert.equal((await stubborn.exit).signal, 'SIGKILL')
  })

  test('nothing found: nothing signalled', async () => {
    let asked = 0
    const r = await terminateProcesses(() => (asked++, []), { goneWaitMs: 10 })
    assert.deepEqual(r, { found: [], survivors: [] })
    assert.equal(asked, 1)
  })
})

describe('signals', () => {
  test('an exited process is not signalled and is not alive', async () => {
    const { child, exit } = await startChild(false)
    child.kill('SIGTERM')
    await exit
    assert.equal(processAlive(child.pid!), false)
    assert.equal(signalGroup(child.pid!, 'SIGKILL'), false)
  })

  test('this process is alive; pids 0 and 1 are never signalled as groups', () => {
    assert.equal(processAlive(process.pid), true)
    assert.equal(signalGroup(0, 'SIGCONT'), false)
    assert.equal(signalGroup(1, 'SIGCONT'), false)
    assert.equal(signalGroup(null, 'SIGCONT'), false)
  })

  test('signal names as numbers', () => {
    assert.equal(signalNumber('SIGKILL'), '9')
    assert.equal(signalNumber('SIGTERM'), '15')
    assert.equal(signalNumber(null), null)
    assert.equal(signalNumber('SIGNOPE' as NodeJS.Signals), 'SIGNOPE')
  })
})
