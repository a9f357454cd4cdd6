/**
 * One child process (`broker pty …`) from spawn to exit: the single owner of its lifecycle
 * (spawn, frames, request/response, release, kill, time-outs), after execa/piscina.
 *
 * The child runs in its own process group; its stderr goes straight to its log file (the
 * supervisor never reads it); stdin/stdout carry frames only. Its environment carries a marker
 * (`RELAY_WORKER_MARK`) that every descendant inherits, so when the child is gone every process
 * of its tree — including CLI descendants that left the CLI's group or session — is found and
 * killed (proc.ts).
 *
 * Writes never block: frames queue in the stdin stream. Over WORKER_STDIN_HIGH_WATER_BYTES of
 * backlog (a stopped or wedged child), optional frames (ping, resize, snapshot) are refused and
 * the congestion is reported once (`onCongestion`) until the pipe drains; delivery and control
 * frames are always written.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import {
  brokerToWorkerSchema,
  FrameChannel,
  WORKER_TO_BROKER_TYPES,
  workerToBrokerSchema,
  type AdoptedState,
  type Adoption,
  type AgentSpec,
  type BrokerToWorkerFrame,
  type WorkerToBrokerFrame
} from '../protocol/index.js'
import {
  ADOPT_HANDSHAKE_TIMEOUT_MS,
  WORKER_KILL_AFTER_TERM_MS,
  WORKER_REQUEST_TIMEOUT_MS,
  WORKER_SHUTDOWN_GRACE_MS,
  WORKER_STDIN_HIGH_WATER_BYTES,
  WORKER_TREE_SWEEP_MAX_MS
} from '../protocol/constants.js'
import { findTree, findTreeAsync, signalAll, startTicksOf } from './proc.js'
import { waitProcessGone, type AdoptTarget } from './adopted-process.js'

import {
  OPTIONAL_FRAMES,
  signalNumber,
  WORKER_MARK_ENV,
  WorkerRequestError,
  type ExitInfo,
  type OutPayload,
  type OutType,
  type PendingRequest,
  type WorkerHandleOptions,
  type WorkerState
} from './worker-types.js'

export { WORKER_MARK_ENV, WorkerRequestError, type ExitInfo, type WorkerHandleOptions, type WorkerState }

export class WorkerHandle {
  readonly name: string
  readonly spec: AgentSpec
  readonly startedAt: number
  state: WorkerState = 'starting'
  pid: number | null = null
  cliPid: number | null = null
  readyAt: number | null = null
  exitInfo: ExitInfo | null = null
  /** `RELAY_WORKER_MARK=<uuid>`: in the environment of the child and all its descendants. */
  readonly marker: string
  /** Process start times (clock ticks), to tell our processes from recycled pids. */
  startTicks: number | null = null
  cliStartTicks: number | null = null
  /** Frames received, and bytes of `worker_stream` output among them. */
  framesIn = 0
  streamBytes = 0
  /** Frames refused because the child was not reading its stdin. */
  framesRefused = 0
  congested = false
  readonly #opts: WorkerHandleOptions
  #child: ChildProcess | null = null
  #channel: FrameChannel<WorkerToBrokerFrame, BrokerToWorkerFrame> | null = null
  readonly #requests = new Map<string, PendingRequest>()
  #reported: { code: number | null; signal: string | null } | null = null
  #agentExitReason: string | null = null
  #lastOutput: string | null = null
  #exitReported = false
  #exitWaiters: ((info: ExitInfo) => void)[] = []
  #killTimer: NodeJS.Timeout | null = null
  /** Set while an adoption handshake is pending: nothing but `adopt_worker` is sent. */
  #adoptWaiter: { resolve: (s: AdoptedState) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null
  /** The child is not ours (an earlier supervisor's, adopted over its socket): no exit event, we watch its pid. */
  adopted = false
  /** Where and how the child waits to be adopted if this supervisor dies (sent in `init_worker`). */
  adoption: Adoption | null = null
  /** Left running for the next supervisor (planned hand-over): its exit is no longer ours to handle. */
  #detached = false

  constructor(opts: WorkerHandleOptions) {
    this.#opts = opts
    this.spec = opts.spec
    this.name = opts.spec.name
    this.marker = opts.marker ?? `${WORKER_MARK_ENV}=${randomUUID()}`
    this.startedAt = opts.startedAt ?? Date.now()
  }

  /**
   * Takes over a live child of an earlier supervisor through the adoption socket it opened when
   * it lost its stdio (src/protocol/worker-link.ts): sends `adopt_worker` with its secret and
   * resolves with its `worker_adopted` state. Frames it buffered follow and go to `onFrame` as
   * usual. Rejects when refused, closed or not answered in time.
   */
  adopt(socket: Socket, target: AdoptTarget): Promise<AdoptedState> {
    this.adopted = true
    this.pid = target.pid
    this.startTicks = target.startTicks
    this.cliPid = target.cliPid
    this.cliStartTicks = target.cliStartTicks
    socket.on('error', () => {})
    const channel = new FrameChannel<WorkerToBrokerFrame, BrokerToWorkerFrame>({
      input: socket,
      output: socket,
      inSchema: workerToBrokerSchema,
      inTypes: WORKER_TO_BROKER_TYPES,
      outSchema: brokerToWorkerSchema,
      onFrame: (frame) => this.#onFrame(frame),
      onError: (err) => this.#opts.onFrameError(this, err),
      onEnd: () => {}
    })
    this.#channel = channel
    socket.on('close', () => {
      this.#rejectAdoption(new WorkerRequestError('adopt_refused', 'the child closed the adoption socket'))
      void this.#adoptedGone()
    })
    return new Promise<AdoptedState>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#rejectAdoption(new WorkerRequestError('adopt_timeout', `no worker_adopted within ${ADOPT_HANDSHAKE_TIMEOUT_MS} ms`))
        socket.destroy()
      }, ADOPT_HANDSHAKE_TIMEOUT_MS)
      this.#adoptWaiter = { resolve, reject, timer }
      channel.send('adopt_worker', { secret: target.secret, broker_pid: process.pid })
    })
  }

  #rejectAdoption(err: Error): void {
    const w = this.#adoptWaiter
    if (!w) return
    this.#adoptWaiter = null
    clearTimeout(w.timer)
    w.reject(err)
  }

  /** The adopted child's socket closed: wait (bounded) for the process to go, kill what is left, report the exit. */
  async #adoptedGone(): Promise<void> {
    if (this.state === 'exited' || this.#detached) return
    this.#channel?.close()
    if (!(await waitProcessGone(this.pid, this.startTicks))) this.#signalGroup('SIGKILL')
    if ((this.state as WorkerState) !== 'exited') this.#finish(null, null)
  }

  /** Starts the child. Throws only if the OS refuses to create the process. */
  start(): number {
    const logFd = openSync(this.#opts.logFile, 'a', 0o600)
    let child: ChildProcess
    try {
      child = spawn(process.execPath, this.#opts.argv, {
        cwd: this.#opts.cwd,
        env: { ...this.#opts.env, [WORKER_MARK_ENV]: this.marker.slice(WORKER_MARK_ENV.length + 1) },
        stdio: ['pipe', 'pipe', logFd],
        detached: true
      })
    } finally {
      closeSync(logFd)
    }
    this.#child = child
    this.pid = child.pid ?? null
    if (this.pid !== null) this.startTicks = startTicksOf(this.pid)
    child.stdin!.on('error', () => {
      /* EPIPE when the child is gone: reported through exit */
    })
    child.stdin!.on('drain', () => this.#setCongested(false))
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
    if (!this.#channel || this.state === 'exited' || this.#adoptWaiter) return false
    if (this.congested && OPTIONAL_FRAMES.has(type)) {
      this.framesRefused++
      return false
    }
    const ok = this.#channel.send(type, payload as never, requestId)
    if (ok && this.#channel.pendingBytes > (this.#opts.stdinHighWaterBytes ?? WORKER_STDIN_HIGH_WATER_BYTES)) this.#setCongested(true)
    return ok
  }

  #setCongested(congested: boolean): void {
    if (this.congested === congested) return
    this.congested = congested
    this.#opts.onCongestion?.(this, congested, this.stdinBacklogBytes)
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
        reject(
          this.congested && this.state !== 'exited'
            ? new WorkerRequestError('worker_timeout', `worker_timeout: worker '${this.name}' is not reading its input (${this.stdinBacklogBytes} bytes queued)`)
            : new WorkerRequestError('worker_disappeared', `worker '${this.name}' is not running`)
        )
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
    if (this.state === 'exited') return this.waitForExit()
    const done = this.waitForExit()
    if (this.state !== 'stopping') {
      this.state = 'stopping'
      this.send('shutdown_worker', { reason, grace_ms: graceMs })
      this.#killTimer = setTimeout(() => {
        this.#signalGroup('SIGTERM')
        // A stopped child acts on SIGTERM only once it runs again.
        this.#signalGroup('SIGCONT')
        this.#killTimer = setTimeout(() => this.kill(), WORKER_KILL_AFTER_TERM_MS)
      }, graceMs + 250)
    }
    return done
  }

  /**
   * Planned hand-over: closes the frame channel without asking the child to stop. The child
   * sees its stdio go, keeps its CLI running and waits on its adoption socket for the next
   * supervisor; this handle forgets it (no exit is reported).
   */
  detach(): void {
    if (this.state === 'exited') return
    this.#detached = true
    if (this.#killTimer) clearTimeout(this.#killTimer)
    this.#channel?.close()
    this.#child?.stdout?.destroy()
    this.#child?.unref()
  }

  /** Immediate SIGKILL of the child's process group and of every process of its tree. */
  kill(): void {
    this.#signalGroup('SIGKILL')
    this.killTree()
  }

  /** SIGKILL to every live process of this child's tree (pty child, CLI, their descendants). */
  killTree(): number {
    const pids = findTree({
      workerPid: this.pid,
      workerStartTicks: this.startTicks,
      cliPid: this.cliPid,
      cliStartTicks: this.cliStartTicks,
      envMarker: this.marker
    })
    return signalAll(pids, 'SIGKILL')
  }

  /** Resolves once the exit has been handled (the tree swept, `onExit` called). */
  waitForExit(): Promise<ExitInfo> {
    if (this.#exitReported) return Promise.resolve(this.exitInfo!)
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
    this.framesIn++
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
      case 'worker_adopted': {
        const w = this.#adoptWaiter
        if (!w) return
        this.#adoptWaiter = null
        clearTimeout(w.timer)
        this.cliPid = frame.payload.cli_pid ?? this.cliPid
        if (frame.payload.ready) {
          this.state = 'ready'
          this.readyAt = Date.now()
          this.#opts.onReady?.(this)
        }
        w.resolve(frame.payload)
        return
      }
      case 'worker_error': {
        if (frame.payload.code === 'adopt_refused') {
          this.#rejectAdoption(new WorkerRequestError('adopt_refused', frame.payload.message))
          return
        }
        const pending = frame.request_id ? this.#requests.get(frame.request_id) : undefined
        if (pending) {
          this.#requests.delete(frame.request_id!)
          clearTimeout(pending.timer)
          pending.reject(new WorkerRequestError(frame.payload.code, `${frame.payload.code}: ${frame.payload.message}`))
        }
        break
      }
      case 'worker_stream':
        this.streamBytes += frame.payload.chunk.length
        break
      case 'worker_started':
        this.cliPid = frame.payload.cli_pid
        this.cliStartTicks = startTicksOf(frame.payload.cli_pid)
        this.#opts.onStarted?.(this)
        break
      case 'worker_ready':
        if (this.state === 'starting') this.state = 'ready'
        if (this.readyAt === null) {
          this.readyAt = Date.now()
          this.#opts.onReady?.(this)
        }
        break
      case 'agent_exit':
        this.#agentExitReason = frame.payload.reason
        this.#lastOutput = frame.payload.last_output ?? this.#lastOutput
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
    if (this.#detached) return
    this.state = 'exited'
    if (this.#killTimer) clearTimeout(this.#killTimer)
    this.#channel?.close()
    const common = {
      agentExitReason: this.#agentExitReason,
      lastOutput: this.#lastOutput,
      uptimeMs: Date.now() - this.startedAt,
      wasReady: this.readyAt !== null
    }
    const info: ExitInfo = this.#reported
      ? { ...this.#reported, ...common, reportedByChild: true }
      : { code, signal: signalNumber(signal), ...common, reportedByChild: false }
    this.exitInfo = info
    for (const [id, pending] of this.#requests) {
      clearTimeout(pending.timer)
      pending.reject(new WorkerRequestError('worker_disappeared', `worker '${this.name}' exited`))
      this.#requests.delete(id)
    }
    // The CLI's process group, session and every descendant die with their host, whatever the
    // host managed to do (it may have been SIGKILLed, or its CLI may have left children behind);
    // the exit is reported once the tree is gone.
    void this.#sweepTree().then(() => {
      this.#exitReported = true
      try {
        this.#opts.onExit(this, info)
      } finally {
        const waiters = this.#exitWaiters
        this.#exitWaiters = []
        for (const w of waiters) w(info)
      }
    })
  }

  /** Kills what is left of the tree until nothing is (bounded by WORKER_TREE_SWEEP_MAX_MS). */
  async #sweepTree(): Promise<void> {
    const marks = { workerPid: this.pid, workerStartTicks: this.startTicks, cliPid: this.cliPid, cliStartTicks: this.cliStartTicks, envMarker: this.marker }
    const deadline = Date.now() + WORKER_TREE_SWEEP_MAX_MS
    try {
      for (;;) {
        const left = await findTreeAsync(marks)
        if (left.length === 0) return
        signalAll(left, 'SIGKILL')
        if (Date.now() > deadline) return
        await new Promise((r) => setTimeout(r, 20))
      }
    } catch {
      // /proc unreadable: the group kills above are all we can do
    }
  }
}
