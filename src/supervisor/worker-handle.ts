/**
 * One child process (`broker pty …`) from spawn to exit: the single owner of its lifecycle
 * (spawn, frames, request/response, release, kill, time-outs), after execa/piscina.
 *
 * The child runs in its own process group; its stderr goes straight to its log file (the
 * supervisor never reads it); stdin/stdout carry frames only.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { randomUUID } from 'node:crypto'
import {
  brokerToWorkerSchema,
  FrameChannel,
  FrameError,
  WORKER_TO_BROKER_TYPES,
  workerToBrokerSchema,
  type AgentSpec,
  type BrokerToWorkerFrame,
  type WorkerToBrokerFrame
} from '../protocol/index.js'
import { WORKER_KILL_AFTER_TERM_MS, WORKER_REQUEST_TIMEOUT_MS, WORKER_SHUTDOWN_GRACE_MS } from '../protocol/constants.js'

export type WorkerState = 'starting' | 'ready' | 'stopping' | 'exited'

export interface ExitInfo {
  /** Exit code of the agent CLI when the child reported it, else of the child process. */
  code: number | null
  /** Signal number as a decimal string ("9"), or null. */
  signal: string | null
  /** The last `agent_exit` reason the child sent, if any. */
  agentExitReason: string | null
  /** True when the status came from the child's `worker_exited` frame (the CLI's own status). */
  reportedByChild: boolean
}

export class WorkerRequestError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = 'WorkerRequestError'
    this.code = code
  }
}

export interface WorkerHandleOptions {
  spec: AgentSpec
  /** argv after `node` for the child, e.g. [brokerMain, 'pty', '--agent-name', n, cli, '--', …args]. */
  argv: string[]
  env: NodeJS.ProcessEnv
  cwd: string
  logFile: string
  onFrame: (handle: WorkerHandle, frame: WorkerToBrokerFrame) => void
  onFrameError: (handle: WorkerHandle, err: FrameError) => void
  onExit: (handle: WorkerHandle, info: ExitInfo) => void
}

interface PendingRequest {
  resolve: (payload: unknown) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

type OutType = BrokerToWorkerFrame['type']
type OutPayload<T extends OutType> = Extract<BrokerToWorkerFrame, { type: T }>['payload']

function signalNumber(signal: NodeJS.Signals | null): string | null {
  if (!signal) return null
  const n = (osConstants.signals as Record<string, number>)[signal]
  return n === undefined ? signal : String(n)
}

export class WorkerHandle {
  readonly name: string
  readonly spec: AgentSpec
  readonly startedAt = Date.now()
  state: WorkerState = 'starting'
  pid: number | null = null
  cliPid: number | null = null
  readyAt: number | null = null
  exitInfo: ExitInfo | null = null
  readonly #opts: WorkerHandleOptions
  #child: ChildProcess | null = null
  #channel: FrameChannel<WorkerToBrokerFrame, BrokerToWorkerFrame> | null = null
  readonly #requests = new Map<string, PendingRequest>()
  #reported: { code: number | null; signal: string | null } | null = null
  #agentExitReason: string | null = null
  #exitWaiters: ((info: ExitInfo) => void)[] = []
  #killTimer: NodeJS.Timeout | null = null

  constructor(opts: WorkerHandleOptions) {
    this.#opts = opts
    this.spec = opts.spec
    this.name = opts.spec.name
  }

  /** Starts the child. Throws only if the OS refuses to create the process. */
  start(): number {
    const logFd = openSync(this.#opts.logFile, 'a', 0o600)
    let child: ChildProcess
    try {
      child = spawn(process.execPath, this.#opts.argv, {
        cwd: this.#opts.cwd,
        env: this.#opts.env,
        stdio: ['pipe', 'pipe', logFd],
        detached: true
      })
    } finally {
      closeSync(logFd)
    }
    this.#child = child
    this.pid = child.pid ?? null
    child.stdin!.on('error', () => {
      /* EPIPE when the child is gone: reported through exit */
    })
    this.#channel = new FrameChannel<WorkerToBrokerFrame, BrokerToWorkerFrame>({
      input: child.stdout!,
      output: child.stdin!,
      inSchema: workerToBrokerSchema,
      inTypes: WORKER_TO_BROKER_TYPES,
      outSchema: brokerToWorkerSchema,
      onFrame: (frame) => this.#onFrame(frame),
      onError: (err) => {
        this.#opts.onFrameError(this, err)
        if (err.fatal && this.state !== 'exited') this.#signalGroup('SIGKILL')
      },
      onEnd: () => {}
    })
    let exitStatus: { code: number | null; signal: NodeJS.Signals | null } | null = null
    let finalizeTimer: NodeJS.Timeout | null = null
    const finalize = () => {
      if (finalizeTimer) clearTimeout(finalizeTimer)
      if (this.state === 'exited' || !exitStatus) return
      this.#finish(exitStatus.code, exitStatus.signal)
    }
    child.on('error', () => {
      if (this.pid === null) {
        exitStatus = { code: 127, signal: null }
        finalize()
      }
    })
    child.on('exit', (code, signal) => {
      exitStatus = { code, signal }
      // stdout may still hold the last frames (worker_exited); wait for 'close', but not forever.
      finalizeTimer = setTimeout(finalize, 1_000)
    })
    child.on('close', (code, signal) => {
      exitStatus ??= { code, signal }
      finalize()
    })
    return this.pid ?? 0
  }

  /** Sends a frame; false when the child cannot take it (gone or closed). */
  send<T extends OutType>(type: T, payload: OutPayload<T>, requestId: string | null = null): boolean {
    if (!this.#channel || this.state === 'exited') return false
    return this.#channel.send(type, payload as never, requestId)
  }

  /** Bytes written to the child's stdin that it has not read yet. */
  get stdinBacklogBytes(): number {
    return this.#channel?.pendingBytes ?? 0
  }

  /** A request/response round trip (`snapshot_pty` → `snapshot_response`). */
  request<T extends OutType>(type: T, payload: OutPayload<T>, timeoutMs = WORKER_REQUEST_TIMEOUT_MS): Promise<unknown> {
    const requestId = `req_${randomUUID().replaceAll('-', '')}`
    return new Promise((resolve, reject) => {
      if (!this.send<T>(type, payload as never, requestId)) {
        reject(new WorkerRequestError('worker_disappeared', `worker '${this.name}' is not running`))
        return
      }
      const timer = setTimeout(() => {
        this.#requests.delete(requestId)
        reject(new WorkerRequestError('worker_timeout', 'worker_timeout: worker did not respond in time'))
      }, timeoutMs)
      this.#requests.set(requestId, { resolve, reject, timer })
    })
  }

  /**
   * Graceful stop: `shutdown_worker` with a grace period; after it, SIGTERM to the child's
   * whole process group; after WORKER_KILL_AFTER_TERM_MS more, SIGKILL. Resolves on exit.
   */
  stop(reason: string, graceMs = WORKER_SHUTDOWN_GRACE_MS): Promise<ExitInfo> {
    if (this.state === 'exited') return Promise.resolve(this.exitInfo!)
    const done = this.waitForExit()
    if (this.state !== 'stopping') {
      this.state = 'stopping'
      this.send('shutdown_worker', { reason, grace_ms: graceMs })
      this.#killTimer = setTimeout(() => {
        this.#signalGroup('SIGTERM')
        this.#killTimer = setTimeout(() => this.#signalGroup('SIGKILL'), WORKER_KILL_AFTER_TERM_MS)
      }, graceMs + 250)
    }
    return done
  }

  /** Immediate SIGKILL of the child's process group. */
  kill(): void {
    this.#signalGroup('SIGKILL')
  }

  waitForExit(): Promise<ExitInfo> {
    if (this.state === 'exited') return Promise.resolve(this.exitInfo!)
    return new Promise((resolve) => this.#exitWaiters.push(resolve))
  }

  #signalGroup(signal: NodeJS.Signals): void {
    if (this.pid === null || this.state === 'exited') return
    try {
      process.kill(-this.pid, signal)
    } catch {
      try {
        process.kill(this.pid, signal)
      } catch {
        // already gone
      }
    }
  }

  #onFrame(frame: WorkerToBrokerFrame): void {
    switch (frame.type) {
      case 'snapshot_response':
      case 'pong': {
        const pending = frame.request_id ? this.#requests.get(frame.request_id) : undefined
        if (pending) {
          this.#requests.delete(frame.request_id!)
          clearTimeout(pending.timer)
          const payload = frame.payload as { error?: { code: string; message: string } }
          if (payload.error) pending.reject(new WorkerRequestError(payload.error.code, `${payload.error.code}: ${payload.error.message}`))
          else pending.resolve(frame.payload)
          return
        }
        break
      }
      case 'worker_error': {
        const pending = frame.request_id ? this.#requests.get(frame.request_id) : undefined
        if (pending) {
          this.#requests.delete(frame.request_id!)
          clearTimeout(pending.timer)
          pending.reject(new WorkerRequestError(frame.payload.code, `${frame.payload.code}: ${frame.payload.message}`))
        }
        break
      }
      case 'worker_started':
        this.cliPid = frame.payload.cli_pid
        break
      case 'worker_ready':
        if (this.state === 'starting') this.state = 'ready'
        this.readyAt ??= Date.now()
        break
      case 'agent_exit':
        this.#agentExitReason = frame.payload.reason
        break
      case 'worker_exited':
        this.#reported = { code: frame.payload.code, signal: frame.payload.signal }
        break
      default:
        break
    }
    this.#opts.onFrame(this, frame)
  }

  #finish(code: number | null, signal: NodeJS.Signals | null): void {
    this.state = 'exited'
    if (this.#killTimer) clearTimeout(this.#killTimer)
    this.#channel?.close()
    const info: ExitInfo = this.#reported
      ? { ...this.#reported, agentExitReason: this.#agentExitReason, reportedByChild: true }
      : { code, signal: signalNumber(signal), agentExitReason: this.#agentExitReason, reportedByChild: false }
    this.exitInfo = info
    // The CLI's own process group dies with its host, whatever the host managed to do.
    if (this.cliPid !== null) {
      try {
        process.kill(-this.cliPid, 'SIGKILL')
      } catch {
        // gone already
      }
    }
    for (const [id, pending] of this.#requests) {
      clearTimeout(pending.timer)
      pending.reject(new WorkerRequestError('worker_disappeared', `worker '${this.name}' exited`))
      this.#requests.delete(id)
    }
    this.#opts.onExit(this, info)
    const waiters = this.#exitWaiters
    this.#exitWaiters = []
    for (const w of waiters) w(info)
  }
}
