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
import { closeSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import type { Readable, Writable } from 'node:stream'
import {
  brokerToWorkerSchema,
  FrameChannel, openAppendNoFollow,
  WORKER_TO_BROKER_TYPES,
  workerToBrokerSchema,
  type AdoptedState,
  type Adoption,
  type AgentSpec,
  type BrokerToWorkerFrame,
  type WorkerToBrokerFrame
} from '../../protocol/index.js'
import { findTree, startTicksOf, sweepTree, type TreeMarks } from '../process/proc.js'
import { signalAll, signalGroup, signalNumber, terminateGroup, type GroupTermination } from '../../terminate/index.js'
import { AdoptionHandshake } from '../adoption/handshake.js'
import { waitProcessGone, type AdoptTarget } from '../adoption/process.js'
import {
  OPTIONAL_FRAMES,
  WORKER_MARK_ENV,
  WORKER_STDIN_HIGH_WATER_BYTES,
  WorkerRequestError,
  type ExitInfo,
  type OutPayload,
  type OutType,
  type PendingRequest,
  type WorkerHandleOptions,
  type WorkerState
} from './types.js'

/** Time a child gets after `shutdown_worker` before its process group is signalled. */
export const WORKER_SHUTDOWN_GRACE_MS = 2_000
/** Time between SIGTERM and SIGKILL when a child's group is terminated. */
export const WORKER_KILL_AFTER_TERM_MS = 1_000
/** Deadline of a request/response round trip to a child (`snapshot_pty`). */
export const WORKER_REQUEST_TIMEOUT_MS = 5_000
/** After a child exits: longest time spent killing and waiting out what is left of its process tree. */
export const WORKER_TREE_SWEEP_MAX_MS = 1_000
/** Past the grace a child was given to stop by itself, before the TERM → KILL escalation starts. */
const WORKER_STOP_SLACK_MS = 250

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
  readonly #opts: WorkerHandleOptions<WorkerHandle>
  #child: ChildProcess | null = null
  #channel: FrameChannel<WorkerToBrokerFrame, BrokerToWorkerFrame> | null = null
  readonly #requests = new Map<string, PendingRequest>()
  #reported: { code: number | null; signal: string | null } | null = null
  #agentExitReason: string | null = null
  #lastOutput: string | null = null
  #exitReported = false
  #exitWaiters: ((info: ExitInfo) => void)[] = []
  /** The grace timer of a graceful stop, then the TERM → KILL escalation (src/terminate). */
  #killTimer: NodeJS.Timeout | null = null
  #termination: GroupTermination | null = null
  /** The adoption handshake; while pending, nothing but `adopt_worker` is sent. */
  #adoption: AdoptionHandshake | null = null
  /** The child is not ours (an earlier supervisor's, adopted over its socket): no exit event, we watch its pid. */
  adopted = false
  adoption: Adoption | null = null // where and how the child waits to be adopted (sent in `init_worker`)
  /** Left running for the next supervisor (planned hand-over): its exit is no longer ours to handle. */
  #detached = false

  constructor(opts: WorkerHandleOptions<WorkerHandle>) {
    this.#opts = opts
    this.spec = opts.spec
    this.name = opts.spec.name
    this.marker = opts.marker ?? `${WORKER_MARK_ENV}=${randomUUID()}`
    this.startedAt = opts.startedAt ?? Date.now()
  }

  /**
   * Takes over a live child of an earlier supervisor on its adoption socket (src/child/worker-link.ts):
   * `adopt_worker` with its secret → its `worker_adopted` state (its buffered frames follow, to `onFrame`).
   * Rejects when refused, closed or not answered in time.
   */
  adopt(socket: Socket, target: AdoptTarget): Promise<AdoptedState> {
    this.adopted = true
    this.pid = target.pid
    this.startTicks = target.startTicks
    this.cliPid = target.cliPid
    this.cliStartTicks = target.cliStartTicks
    socket.on('error', () => {})
    this.#channel = this.#openChannel(socket, socket)
    const handshake = new AdoptionHandshake(() => socket.destroy())
    this.#adoption = handshake
    socket.on('close', () => {
      handshake.fail('adopt_refused', 'the child closed the adoption socket')
      void this.#adoptedGone()
    })
    this.#channel.send('adopt_worker', { secret: target.secret, broker_pid: process.pid })
    return handshake.promise
  }

  #openChannel(input: Readable, output: Writable): FrameChannel<WorkerToBrokerFrame, BrokerToWorkerFrame> {
    return new FrameChannel<WorkerToBrokerFrame, BrokerToWorkerFrame>({
      input,
      output,
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
    const logFd = openAppendNoFollow(this.#opts.logFile)
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
    this.#channel = this.#openChannel(child.stdout!, child.stdin!)
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
    if (!this.#channel || this.state === 'exited' || this.#adoption?.pending) return false
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
        if (this.pid === null || this.state === 'exited') return
        // A stopped child acts on SIGTERM only once it runs again (SIGCONT).
        this.#termination = terminateGroup(this.pid, { signals: ['SIGTERM', 'SIGCONT'], graceMs: WORKER_KILL_AFTER_TERM_MS, onKill: () => this.killTree() })
      }, graceMs + WORKER_STOP_SLACK_MS)
    }
    return done
  }

  /** Planned hand-over: closes the channel without a `shutdown_worker`; the child waits to be adopted, no exit is reported. */
  detach(): void {
    if (this.state === 'exited') return
    this.#detached = true
    if (this.#killTimer) clearTimeout(this.#killTimer)
    this.#termination?.cancel()
    this.#channel?.detachInput() // frames still arriving (an adopted child's socket) belong to the next supervisor
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
    return signalAll(findTree(this.#marks()), 'SIGKILL')
  }

  #marks(): TreeMarks {
    return { workerPid: this.pid, workerStartTicks: this.startTicks, cliPid: this.cliPid, cliStartTicks: this.cliStartTicks, envMarker: this.marker }
  }

  /** Resolves once the exit has been handled (the tree swept, `onExit` called). */
  waitForExit(): Promise<ExitInfo> {
    if (this.#exitReported) return Promise.resolve(this.exitInfo!)
    return new Promise((resolve) => this.#exitWaiters.push(resolve))
  }

  #signalGroup(signal: NodeJS.Signals): void {
    if (this.pid !== null && this.state !== 'exited') signalGroup(this.pid, signal)
  }

  #markReady(): void {
    if (this.state === 'starting') this.state = 'ready'
    if (this.readyAt !== null) return
    this.readyAt = Date.now()
    this.#opts.onReady?.(this)
  }

  /** Settles the request a frame answers; false when none was waiting for it. */
  #settle(id: string | null, err: { code: string; message: string } | undefined, payload: unknown): boolean {
    const pending = id ? this.#requests.get(id) : undefined
    if (!pending) return false
    this.#requests.delete(id!)
    clearTimeout(pending.timer)
    if (err) pending.reject(new WorkerRequestError(err.code, `${err.code}: ${err.message}`))
    else pending.resolve(payload)
    return true
  }

  #onFrame(frame: WorkerToBrokerFrame): void {
    this.framesIn++
    switch (frame.type) {
      case 'snapshot_response':
      case 'pong':
        if (this.#settle(frame.request_id, (frame.payload as { error?: { code: string; message: string } }).error, frame.payload)) return
        break
      case 'worker_adopted': {
        if (!this.#adoption?.pending) return
        this.cliPid = frame.payload.cli_pid ?? this.cliPid
        if (frame.payload.ready) this.#markReady()
        this.#adoption.succeed(frame.payload)
        return
      }
      case 'worker_error': {
        if (frame.payload.code === 'adopt_refused') return this.#adoption?.fail('adopt_refused', frame.payload.message)
        this.#settle(frame.request_id, frame.payload, null)
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
        this.#markReady()
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
    this.#termination?.cancel()
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
    void sweepTree(this.#marks(), WORKER_TREE_SWEEP_MAX_MS).then(() => {
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
}
