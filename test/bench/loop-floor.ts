/**
 * The loop-delay floor: a bare node process measuring its own event-loop delay the way the
 * supervisor does (`monitorEventLoopDelay`, same resolution), while the machine does whatever the
 * bench makes it do. What it sees is CPU contention alone; the supervisor's figure above it is the
 * supervisor's own work.
 */
import { spawn } from 'node:child_process'
import { LOOP_DELAY_RESOLUTION_MS } from '../../src/supervisor/observe/loop-monitor.js'

const PROBE = `
const { monitorEventLoopDelay } = require('node:perf_hooks')
const h = monitorEventLoopDelay({ resolution: ${LOOP_DELAY_RESOLUTION_MS} })
h.enable()
const ms = (ns) => Math.max(0, Math.round((ns / 1e6 - ${LOOP_DELAY_RESOLUTION_MS}) * 100) / 100)
process.stdin.resume()
process.stdin.on('end', () => {
  h.disable()
  process.stdout.write(JSON.stringify({ p99: ms(h.percentile(99)), max: ms(h.max) }))
})
`

export interface LoopFloor {
  /** Ends the probe and returns its delay p99 and max, in ms beyond the period. */
  stop(): Promise<{ p99: number; max: number }>
}

export function startLoopFloor(): LoopFloor {
  const p = spawn(process.execPath, ['-e', PROBE], { stdio: ['pipe', 'pipe', 'ignore'] })
  let out = ''
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()))
  return {
    async stop() {
      p.stdin!.end()
      await exited
      return JSON.parse(out) as { p99: number; max: number }
    }
  }
}
