/**
 * `broker pty`: hosts one agent CLI in a pseudo-terminal and speaks the frame protocol with
 * the supervisor over this process's stdin (frames in) and stdout (frames out).
 *
 * stdout carries frames ONLY: console.log/info/debug are sent to stderr before anything else
 * runs, and logs go to stderr through pino.
 */
import { protectStdout } from '../child/stdout.js'
import { PtyWorker, type PtyWorkerOptions } from './worker.js'

export type { PtyWorkerOptions }

export async function runPtyWorker(opts: PtyWorkerOptions): Promise<void> {
  protectStdout()
  const worker = new PtyWorker(opts)
  await worker.start()
}
