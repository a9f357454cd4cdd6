/**
 * Frames that act on the terminal itself: `resize_pty`, `snapshot_pty`, `write_pty` and
 * `set_model`. Every write goes through the ordered writer.
 */
import type { IPty } from 'node-pty'
import { INJECT_ENTER_DELAY_MS } from './inject/submit.js'
import type { BrokerToWorkerFrame } from '../protocol/frames.js'
import type { SendFrame } from './inject/deliveries.js'
import type { Screen } from './screen.js'
import { parseSnapshotFormat, snapshotPayload } from './snapshot.js'
import { sleep, type PtyWriter } from './writer.js'

export interface TerminalParts {
  pty: Pick<IPty, 'resize'>
  screen: Screen
  writer: PtyWriter
  send: SendFrame
}

export type ControlFrame = Extract<BrokerToWorkerFrame, { type: 'resize_pty' | 'snapshot_pty' | 'write_pty' | 'set_model' }>

export function handleControlFrame(frame: ControlFrame, t: TerminalParts): void {
  const rid = frame.request_id
  switch (frame.type) {
    case 'resize_pty': {
      const { rows, cols } = frame.payload
      if (rows === 0 || cols === 0) {
        t.send('worker_error', { code: 'invalid_dimensions', message: `invalid size ${rows}x${cols}: rows and cols must be at least 1`, retryable: false }, rid)
        return
      }
      t.pty.resize(cols, rows)
      t.screen.resize(rows, cols)
      return
    }
    case 'snapshot_pty': {
      const format = parseSnapshotFormat(frame.payload.format)
      if (format === null) {
        const message = `unsupported snapshot format '${frame.payload.format}' (plain, text, ansi)`
        t.send('snapshot_response', { error: { code: 'invalid_format', message } }, rid)
        return
      }
      // Snapshot the parsed state: wait until everything received so far went through xterm.
      void t.screen.settle().then(() => t.send('snapshot_response', snapshotPayload(t.screen, format), rid))
      return
    }
    case 'write_pty':
      t.writer.write(frame.payload.data)
      return
    case 'set_model': {
      const line = `/model ${frame.payload.model}`
      void t.writer.run(async (write) => {
        write(line)
        await sleep(INJECT_ENTER_DELAY_MS)
        write('\r')
      })
      return
    }
  }
}
