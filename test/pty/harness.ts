/**
 * Test harness for the `broker pty` child: starts `node bin/broker pty …` and talks to it
 * over the real frame channel. Not a test file itself (it declares no tests).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FrameChannel } from '../../src/protocol/channel.js'
import {
  BROKER_TO_WORKER_TYPES,
  WORKER_TO_BROKER_TYPES,
  brokerToWorkerSchema,
  workerToBrokerSchema,
  type AgentSpec,
  type BrokerToWorkerFrame,
  type BrokerToWorkerType,
  type PayloadOf,
  type RelayDelivery,
  type WorkerToBrokerFrame,
  type WorkerToBrokerType
} from '../../src/protocol/frames.js'

/** The repository root: this file runs as dist/test/pty/harness.js. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url))
export const BROKER_BIN = join(REPO, 'bin/broker')
export const FIXTURES = join(REPO, 'test/fixtures')
export const ECHO_CLI = join(FIXTURES, 'echo-cli.mjs')
export const MUTE_CLI = join(FIXTURES, 'mute-cli.mjs')
void BROKER_TO_WORKER_TYPES

export type Frame = WorkerToBrokerFrame
export type FrameOfType<T extends WorkerToBrokerType> = Extract<Frame, { type: T }>

export interface StartOptions {
  agentName?: string | null
  idleThresholdSecs?: number
  env?: Record<string, string>
  cwd?: string
}

export class WorkerProcess {
  readonly child: ChildProcess
  readonly frames: Frame[] = []
  readonly channel: FrameChannel<Frame, BrokerToWorkerFrame>
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stderr = ''
  readonly #waiters = new Set<() => void>()

  constructor(cliAndArgs: string[], opts: StartOptions = {}) {
    const argv = [BROKER_BIN, 'pty']
    if (opts.agentName !== null) argv.push('--agent-name', opts.agentName ?? 't1')
    if (opts.idleThresholdSecs !== undefined) argv.push('--idle-threshold-secs', String(opts.idleThresholdSecs))
    argv.push(...cliAndArgs)
    this.child = spawn(process.execPath, argv, {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, RELAY_LOG_LEVEL: process.env.RELAY_LOG_LEVEL ?? 'warn', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString('utf8')
    })
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })))
    this.channel = new FrameChannel<Frame, BrokerToWorkerFrame>({
      input: this.child.stdout!,
      output: this.child.stdin!,
      inSchema: workerToBrokerSchema,
      inTypes: WORKER_TO_BROKER_TYPES,
      outSchema: brokerToWorkerSchema,
      onFrame: (f) => {
        this.frames.push(f)
        for (const w of this.#waiters) w()
      },
      onError: (err) => {
        this.stderr += `\n[harness] bad frame from child: ${err.code} ${err.message}\n`
      },
      onEnd: () => {}
    })
  }

  send<T extends BrokerToWorkerType>(type: T, payload: PayloadOf<BrokerToWorkerFrame, T>, requestId: string | null = null): void {
    this.channel.send(type, payload as never, requestId)
  }

  /** Writes raw bytes to the child's stdin (for malformed frames). */
  writeRaw(bytes: Buffer): void {
    this.child.stdin!.write(bytes)
  }

  init(agent: Partial<AgentSpec> = {}, requestId: string | null = null): void {
    this.send('init_worker', { agent: { name: 't1', runtime: 'pty', cli: 'node', args: [], channels: [], ...agent } }, requestId)
  }

  deliver(d: Partial<RelayDelivery> & { delivery_id: string }, requestId: string | null = null): void {
    this.send('deliver_relay', { event_id: `ev_${d.delivery_id}`, from: 'alice', target: 't1', body: 'hello', injection_mode: 'wait', ...d }, requestId)
  }

  ofType<T extends WorkerToBrokerType>(type: T): FrameOfType<T>[] {
    return this.frames.filter((f): f is FrameOfType<T> => f.type === type)
  }

  /** Resolves with the first frame (in arrival order) matching `pred`. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs = 10_000, what = 'frame'): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.frames.find(pred)
        if (!hit) return false
        cleanup()
        resolve(hit)
        return true
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; frames: ${this.describe()}\nstderr:\n${this.stderr}`))
      }, timeoutMs)
      const cleanup = (): void => {
        clearTimeout(timer)
        this.#waiters.delete(waiter)
      }
      const waiter = (): void => void check()
      if (check()) return
      this.#waiters.add(waiter)
    })
  }

  waitType<T extends WorkerToBrokerType>(type: T, pred: (f: FrameOfType<T>) => boolean = () => true, timeoutMs = 10_000): Promise<FrameOfType<T>> {
    return this.waitFor((f) => f.type === type && pred(f as FrameOfType<T>), timeoutMs, type) as Promise<FrameOfType<T>>
  }

  /** Frame types received so far, with delivery ids, for assertion messages. */
  describe(): string {
    return this.frames
      .filter((f) => f.type !== 'worker_stream')
      .map((f) => {
        const p = f.payload as { delivery_id?: string }
        return p.delivery_id ? `${f.type}(${p.delivery_id})` : f.type
      })
      .join(', ')
  }

  /** All stdout stream text received so far. */
  streamText(): string {
    return this.ofType('worker_stream')
      .map((f) => f.payload.chunk)
      .join('')
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    // SIGTERM lets the child take its CLI's process group down with it; SIGKILL if it hangs.
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000)
    await this.exited
    clearTimeout(timer)
  }
}

export function readJsonLines(file: string): { agent: string | null; line: string; ts: number }[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { agent: string | null; line: string; ts: number })
}

export async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Position of the first frame matching `pred`, or -1. */
export function indexOf(frames: Frame[], pred: (f: Frame) => boolean): number {
  return frames.findIndex(pred)
}

export function isDelivery(type: WorkerToBrokerType, deliveryId: string): (f: Frame) => boolean {
  return (f) => f.type === type && (f.payload as { delivery_id?: string }).delivery_id === deliveryId
}
