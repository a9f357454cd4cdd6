/**
 * Typing ahead (SubmitProfile.typeAhead): a delivery queued behind a verified one is typed without
 * a new quiet wait where the profile allows it, and waits for quiet where it does not. A fake
 * terminal echoes what is typed and the CLI is made to look like it never stops printing.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Deliveries } from '../../../src/pty/inject/deliveries.js'
import { GENERIC_INJECTION_PROFILE } from '../../../src/pty/inject/inject.js'
import { LINE_SUBMIT, type SubmitProfile } from '../../../src/pty/inject/submit.js'
import { createLogger } from '../../../src/protocol/log.js'
import { Screen } from '../../../src/pty/screen.js'
import { PtyWriter } from '../../../src/pty/writer.js'

interface Run {
  frames: { type: string; id: string }[]
  stop(): void
}

/** Two deliveries queued at once; after the first is typed, output "never" goes quiet. */
function run(submit: SubmitProfile): Run {
  const screen = new Screen(24, 80, () => {})
  let lastOutputAtMs = 0
  let typedOnce = false
  const pty = {
    _writeStream: { _writeQueue: [] as unknown[] },
    write(data: string): void {
      typedOnce = true
      screen.feed(Buffer.from(data.replace(/\r/g, '\r\n'), 'utf8')) // the tty's echo
    }
  }
  const frames: Run['frames'] = []
  const d = new Deliveries({
    send: (type, payload) => frames.push({ type, id: String((payload as { delivery_id?: string }).delivery_id) }),
    writer: new PtyWriter(pty),
    screen,
    log: createLogger('test:type-ahead'),
    workerName: () => 't1',
    verifyWindowMs: () => 5_000,
    profile: GENERIC_INJECTION_PROFILE,
    reminderEnv: {},
    facts: () => null,
    lastOutputAtMs: () => (typedOnce ? Date.now() : lastOutputAtMs),
    profileBusy: () => false,
    bracketedPaste: () => false,
    asciiOnly: () => false,
    submit,
    flushOutput: () => {}
  })
  screen.onAllParsed = () => d.tick(Date.now(), true)
  const ticker = setInterval(() => d.tick(Date.now(), screen.takeDirty()), 10)
  for (const id of ['first', 'second']) {
    d.deliver({ delivery_id: id, event_id: `ev-${id}`, from: 'alice', target: 't1', body: `message ${id}`, injection_mode: 'wait' }, null)
  }
  d.setReady()
  return {
    frames,
    stop: () => {
      clearInterval(ticker)
      d.close('test over')
      screen.dispose()
    }
  }
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10))
}

describe('typing ahead', () => {
  test('where the profile types ahead, the queued delivery follows the verified one though output never goes quiet', async () => {
    const r = run(LINE_SUBMIT)
    try {
      await until(() => r.frames.some((f) => f.type === 'delivery_verified' && f.id === 'second'))
      const verified = r.frames.filter((f) => f.type === 'delivery_verified').map((f) => f.id)
      assert.deepEqual(verified, ['first', 'second'])
      assert.deepEqual(r.frames.filter((f) => f.type === 'delivery_injected').map((f) => f.id), ['first', 'second'])
    } finally {
      r.stop()
    }
  })

  test('where it does not, the queued delivery waits for the output to go quiet', async () => {
    const r = run({ ...LINE_SUBMIT, typeAhead: false })
    try {
      await until(() => r.frames.some((f) => f.type === 'delivery_verified' && f.id === 'first'))
      await new Promise((resolve) => setTimeout(resolve, 300))
      assert.deepEqual(r.frames.filter((f) => f.type === 'delivery_injected').map((f) => f.id), ['first'], 'the second is still queued')
    } finally {
      r.stop()
    }
  })
})
