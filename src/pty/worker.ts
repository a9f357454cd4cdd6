/**
 * The PTY worker: wires the CLI's pty, the screen model, the ordered writer, the stream
 * batcher, readiness, deliveries and the frame channel together, and owns the process's
 * lifecycle (CLI exit, shutdown, signals).
 */
import pty, { type IPty } from 'node-pty'
import { WorkerLink, type WorkerSelfState } from '../child/worker-link.js'
import { CLI_EXIT_WAIT_AFTER_KILL_MS, IDLE_CHECK_MS, IDLE_THRESHOLD_DEFAULT_SECS, LAST_OUTPUT_CHARS, PTY_DEFAULT_COLS, PTY_DEFAULT_ROWS, PTY_EXIT_FLUSH_TIMEOUT_MS, PARSED_TICK_MIN_INTERVAL_MS, PTY_TICK_MS, VERIFY_WINDOW_MS } from '../protocol/constants.js'
import type { FrameError } from '../protocol/errors.js'
import {
  type BrokerToWorkerFrame
} from '../protocol/frames.js'
import { createLogger, type Logger } from '../protocol/log.js'
import { resolveCli } from '../catalog/path.js'
import { cliEnv } from './cli-process.js'
import { KILL_AFTER_TERM_MS, signalGroup, terminateGroup, type GroupTermination } from '../terminate/index.js'
import { EXIT_INTERNAL_ERROR, EXIT_PROTOCOL_ERROR, EXIT_SPAWN_FAILED, exitStatusFor, flushAndExit } from '../child/exit.js'
import { IdleDetector } from './idle.js'
import { Deliveries, type SendFrame } from './inject/deliveries.js'
import { FactsStore } from './facts.js'
import { reminderEnvFrom } from './inject/inject.js'
import { profileFor, type CliProfile } from './profiles/index.js'
import type { AutoAnswerer } from './ready/auto-answer.js'
import { ptyAutoAnswerer } from './ready/auto-answer-pty.js'
import type { InjectionProfile } from './inject/inject.js'
import { ReadinessTracker } from './ready/readiness.js'
import { GENERIC_SUBMIT } from './inject/submit.js'
import { Screen } from './screen.js'
import { handleControlFrame, type TerminalParts } from './control.js'
import { StreamBatcher } from './stream.js'
import { PtyWriter, sleep } from './writer.js'

export interface PtyWorkerOptions {
  cli: string
  args: string[]
  agentName: string | null
  idleThresholdSecs: number | null
  /** Run the CLI as this uid/gid, with no supplementary groups (docs/security.md). */
  runAs?: { uid: number; gid: number } | null
}

const DEFAULT_WORKER_NAME = 'pty-worker'
/** The exit reported when the CLI had to be killed and node-pty never said so. */
const SIGKILL_NUMBER = 9

export class PtyWorker {
  readonly #opts: PtyWorkerOptions
  readonly #log: Logger
  readonly #channel: WorkerLink
  readonly #idleThresholdMs: number
  readonly #profile: CliProfile
  /** The profile's injection choices; the MCP reminder is dropped when the spawn skipped the relay wiring. */
  readonly #injection: InjectionProfile
  #answers: AutoAnswerer | null = null
  #name: string | null
  #pty: IPty | null = null
  #screen: Screen | null = null
  #writer: PtyWriter | null = null
  #stream: StreamBatcher | null = null
  #deliveries: Deliveries | null = null
  #facts: FactsStore | null = null
  #lastOutputAtMs = 0
  #verifyWindowMs = VERIFY_WINDOW_MS
  #spawnedAtMs = 0
  #idle: IdleDetector | null = null
  #initRequestId: string | null = null
  #initReceived = false
  #readiness: ReadinessTracker | null = null
  #terminal: TerminalParts | null = null
  #readySent = false
  /** The login/auth wall last reported (`worker_blocked`), until the CLI is ready. */
  #blocked: string | null = null
  #shuttingDown = false
  /** TERM → grace → KILL of the CLI's group, once a shutdown began. */
  #termination: GroupTermination | null = null
  #exiting = false
  #protocolLost = false
  readonly #timers: NodeJS.Timeout[] = []

  constructor(opts: PtyWorkerOptions) {
    this.#opts = opts
    this.#name = opts.agentName
    this.#log = createLogger(`pty:${opts.agentName ?? DEFAULT_WORKER_NAME}`)
    this.#idleThresholdMs = (opts.idleThresholdSecs ?? IDLE_THRESHOLD_DEFAULT_SECS) * 1000
    this.#profile = profileFor(opts.cli)
    this.#injection = { ...this.#profile.injection }
    this.#channel = new WorkerLink({
      onFrame: (frame) => this.#onFrame(frame),
      onError: (err) => this.#onFrameError(err),
      onEnd: () => this.shutdown(KILL_AFTER_TERM_MS, 'stdin closed'),
      onAbandoned: (ms) => this.shutdown(KILL_AFTER_TERM_MS, `not adopted within ${ms} ms of losing the supervisor`),
      selfState: () => this.#selfState(),
      log: this.#log
    })
  }

  #selfState(): WorkerSelfState {
    const busy = (this.#deliveries?.pending ?? 0) > 0 || (this.#screen !== null && this.#profileBusy())
    const tail = this.#screen?.tailText(LAST_OUTPUT_CHARS)
    return { name: this.name, cli_pid: this.#pty?.pid ?? null, ready: this.#readySent, busy, blocked: this.#blocked, ...(tail ? { screen_tail: tail } : {}) }
  }

  readonly send: SendFrame = (type, payload, requestId = null) => {
    try {
      this.#channel.send(type, payload as never, requestId)
    } catch (err) {
      this.#log.error({ err, type }, 'could not send frame')
    }
  }

  get name(): string {
    return this.#name ?? DEFAULT_WORKER_NAME
  }

  /** Spawns the CLI and starts the loops. Resolves once running (exit is handled by events). */
  async start(): Promise<void> {
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      // A hang-up is no reason to stop while the agent waits for a new supervisor.
      process.on(sig, () => (sig === 'SIGHUP' && this.#channel.orphaned ? undefined : this.shutdown(KILL_AFTER_TERM_MS, sig)))
    }
    process.on('uncaughtException', (err) => this.#crash(err))
    process.on('unhandledRejection', (err) => this.#crash(err))

    const { cli, args } = this.#opts
    const file = resolveCli(cli)
    if (file === null) return this.#spawnFailed(`cli '${cli}' not found`)
    const rows = PTY_DEFAULT_ROWS
    const cols = PTY_DEFAULT_COLS
    let p: IPty
    try {
      const runAs = this.#opts.runAs // node-pty sets uid/gid but keeps our groups: drop them first (we are root here)
      if (runAs) process.setgroups?.([runAs.gid])
      p = pty.spawn(file, args, { name: 'xterm-256color', rows, cols, cwd: process.cwd(), env: cliEnv(), encoding: null, ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}) })
    } catch (err) {
      return this.#spawnFailed(`cli '${cli}' could not be started: ${(err as Error).message}`)
    }
    this.#pty = p
    try {
      this.#wire(p, file, rows, cols)
    } catch (err) {
      // E.g. node-pty's internals changed under the writer: never leave the CLI running unobserved.
      this.send('worker_error', { code: 'internal_error', message: (err as Error).message, retryable: false })
      this.#crash(err)
    }
  }

  #wire(p: IPty, file: string, rows: number, cols: number): void {
    const { args } = this.#opts
    this.#spawnedAtMs = Date.now()
    this.#idle = new IdleDetector(this.#idleThresholdMs, this.#spawnedAtMs)
    const writer = new PtyWriter(p)
    this.#writer = writer
    const screen = new Screen(rows, cols, (reply) => writer.write(reply))
    this.#screen = screen
    // Verification and readiness look as soon as output is parsed, not only on the next tick.
    screen.onAllParsed = this.#onParsed
    this.#stream = new StreamBatcher((chunk) => this.send('worker_stream', { stream: 'stdout', chunk }))
    this.#deliveries = new Deliveries({
      send: this.send,
      writer,
      screen,
      log: this.#log,
      workerName: () => this.name,
      verifyWindowMs: () => this.#verifyWindowMs,
      profile: this.#injection,
      reminderEnv: reminderEnvFrom(process.env),
      facts: () => this.#facts,
      lastOutputAtMs: () => this.#lastOutputAtMs,
      profileBusy: () => this.#profileBusy(),
      bracketedPaste: () => this.#profile.bracketedPaste,
      submit: this.#profile.submit ?? GENERIC_SUBMIT,
      flushOutput: () => this.#stream?.flush()
    })
    this.#readiness = new ReadinessTracker(this.#profile.readiness, screen, this.#spawnedAtMs)
    this.#answers = ptyAutoAnswerer({
      rules: this.#profile.autoAnswers,
      screen,
      writer,
      log: this.#log,
      onAnswered: (a) => this.send('auto_answered', a)
    })
    this.#terminal = { pty: p, screen, writer, send: this.send }
    p.onData(this.#onPtyData as unknown as (data: string) => void)
    p.onExit(({ exitCode, signal }) => void this.#onCliExit(exitCode, signal ?? 0))
    this.#log.info({ cli: file, args, pid: p.pid }, 'cli started')
    this.send('worker_started', { cli_pid: p.pid, rows, cols })
    this.#every(PTY_TICK_MS, this.#tick)
    if (this.#idle.enabled) this.#every(IDLE_CHECK_MS, this.#checkIdle)
  }

  /** Hang up and terminate the CLI's process group, SIGKILL it after `graceMs`. */
  shutdown(graceMs: number, reason: string): void {
    if (this.#shuttingDown || this.#exiting) return
    this.#shuttingDown = true
    this.#channel.stopping()
    const p = this.#pty
    if (!p) return void this.#finish(this.#protocolLost ? EXIT_PROTOCOL_ERROR : 0)
    this.#log.info({ reason, grace_ms: graceMs }, 'shutting down the cli')
    this.#termination = terminateGroup(p.pid, {
      signals: ['SIGHUP', 'SIGTERM'],
      graceMs,
      onKill: () => {
        this.#log.warn('cli still running after the grace period; SIGKILL sent')
        // node-pty reports the exit once the pty closes; if even that never comes, report a kill.
        this.#after(CLI_EXIT_WAIT_AFTER_KILL_MS, () => void this.#onCliExit(null, SIGKILL_NUMBER))
      }
    })
  }

  /** The profile's own busy verdict on the current screen (generic CLIs: never). */
  #profileBusy(): boolean {
    return this.#profile.isBusy(this.#screen!)
  }

  readonly #onPtyData = (chunk: Buffer): void => {
    const now = Date.now()
    this.#lastOutputAtMs = now
    this.#idle!.output(now)
    this.#screen!.feed(chunk)
    const text = this.#stream!.push(chunk)
    if (this.#readiness!.reason === null) this.#readiness!.output(now, text)
  }

  #lastParsedTickMs = 0
  readonly #onParsed = (): void => {
    const now = Date.now()
    if (now - this.#lastParsedTickMs < PARSED_TICK_MIN_INTERVAL_MS) return
    this.#lastParsedTickMs = now
    this.#tick()
  }

  readonly #tick = (): void => {
    const now = Date.now()
    const changed = this.#screen!.takeDirty()
    if (this.#readiness!.reason === null) {
      const reason = this.#readiness!.evaluate(now)
      if (reason !== null) {
        this.#log.info({ reason }, 'cli ready')
        this.#maybeSendReady()
      }
      const blocked = this.#readiness!.takeBlocked()
      if (blocked !== null) {
        this.#log.warn({ reason: blocked }, 'cli blocked')
        this.#blocked = blocked
        this.send('worker_blocked', { reason: blocked })
      }
    }
    this.#answers!.tick(now, changed)
    this.#deliveries!.tick(now, changed)
  }

  readonly #checkIdle = (): void => {
    if (this.#exiting) return
    const idleSecs = this.#idle!.check(Date.now())
    if (idleSecs !== null) this.send('agent_idle', { idle_secs: idleSecs })
  }

  #maybeSendReady(): void {
    const reason = this.#readiness?.reason ?? null
    if (this.#readySent || !this.#initReceived || reason === null || this.#exiting) return
    this.#readySent = true
    this.#blocked = null
    this.#stream?.flush() // the output that made the CLI look ready goes first
    this.send('worker_ready', { name: this.name, runtime: 'pty', reason }, this.#initRequestId)
    this.#deliveries?.setReady()
  }

  #onFrame(frame: BrokerToWorkerFrame): void {
    try {
      this.#handleFrame(frame)
    } catch (err) {
      this.#log.error({ err, type: frame.type }, 'frame handler failed')
      this.send('worker_error', { code: 'internal_error', message: (err as Error).message, retryable: false }, frame.request_id)
    }
  }

  #handleFrame(frame: BrokerToWorkerFrame): void {
    const rid = frame.request_id
    switch (frame.type) {
      case 'init_worker': {
        const { agent } = frame.payload
        if (this.#name === null && agent.name) this.#name = agent.name
        if (agent.verify_window_secs) this.#verifyWindowMs = agent.verify_window_secs * 1000
        if (agent.skip_relay_prompt) this.#injection.reminder = 'none'
        this.#channel.configure(frame.payload.adoption)
        if (frame.payload.facts_path && !this.#facts) {
          try {
            this.#facts = new FactsStore(frame.payload.facts_path)
          } catch (err) {
            this.#log.error({ err, path: frame.payload.facts_path }, 'cannot open the facts file: what this worker types will not be known to its successor')
            this.send('worker_error', { code: 'facts_unavailable', message: (err as Error).message, retryable: false }, rid)
          }
        }
        this.#initRequestId = rid
        this.#initReceived = true
        this.#maybeSendReady()
        return
      }
      case 'deliver_relay':
        if (this.#exiting) return
        this.#deliveries?.deliver(frame.payload, rid)
        return
      case 'shutdown_worker':
        this.shutdown(frame.payload.grace_ms, frame.payload.reason)
        return
      case 'resize_pty':
      case 'snapshot_pty':
      case 'write_pty':
      case 'set_model':
        if (this.#terminal && !this.#exiting) handleControlFrame(frame, this.#terminal)
        else if (frame.type === 'snapshot_pty') this.send('snapshot_response', { error: { code: 'unavailable', message: 'the cli has exited' } }, rid)
        return
      case 'ping':
        this.send('pong', { ts_ms: frame.payload.ts_ms }, rid)
        return
      case 'adopt_worker':
        // Only meaningful as the first frame on an adoption socket (worker-link.ts answers it there).
        this.send('worker_error', { code: 'unexpected_frame', message: 'adopt_worker on a live channel', retryable: false }, rid)
        return
    }
  }

  /**
   * A frame the decoder refused. Non-fatal errors (bad msgpack, unknown type, bad payload)
   * are answered and the stream continues at the next frame. A fatal error means the byte
   * stream lost its framing (oversize length or truncated frame): nothing more can be read,
   * so the CLI is shut down and the child exits with EXIT_PROTOCOL_ERROR.
   */
  #onFrameError(err: FrameError): void {
    this.#log.warn({ code: err.code, fatal: err.fatal }, err.message)
    this.send('worker_error', { code: err.code, message: err.message, retryable: false }, err.requestId)
    if (err.fatal) {
      this.#protocolLost = true
      this.shutdown(KILL_AFTER_TERM_MS, `frame channel lost: ${err.code}`)
    }
  }

  async #onCliExit(exitCode: number | null, signal: number): Promise<void> {
    if (this.#exiting) return
    this.#exiting = true
    for (const t of this.#timers) clearTimeout(t)
    this.#termination?.cancel()
    this.#answers?.close()
    const screen = this.#screen!
    const killed = signal > 0
    this.#log.info({ exitCode, signal }, 'cli exited')
    await Promise.race([screen.settle(), sleep(PTY_EXIT_FLUSH_TIMEOUT_MS)])
    this.#writer!.close()
    this.#deliveries!.close(this.#shuttingDown ? 'worker shut down before the delivery completed' : 'cli exited before the delivery completed')
    this.#stream!.flush(true)
    if (!this.#shuttingDown) {
      const lastOutput = screen.tailText(LAST_OUTPUT_CHARS)
      this.send('agent_exit', { reason: 'child_exited', ...(lastOutput ? { last_output: lastOutput } : {}) })
    }
    this.send('worker_exited', { code: killed ? null : exitCode, signal: killed ? String(signal) : null })
    // The CLI's children (same process group) must not outlive it.
    signalGroup(this.#pty!.pid, 'SIGKILL')
    await this.#finish(this.#protocolLost ? EXIT_PROTOCOL_ERROR : exitStatusFor(exitCode, killed ? signal : null))
  }

  #spawnFailed(message: string): Promise<void> {
    this.#log.error(message)
    this.#exiting = true
    this.send('worker_error', { code: 'spawn_failed', message, retryable: false })
    this.send('worker_exited', { code: EXIT_SPAWN_FAILED, signal: null })
    return this.#finish(EXIT_SPAWN_FAILED)
  }

  /** Flushes the frame channel (bounded), closes it and exits the process. */
  async #finish(status: number): Promise<void> {
    for (const t of this.#timers) clearTimeout(t)
    this.#stream?.dispose()
    this.#screen?.dispose()
    await flushAndExit(this.#channel, status)
  }

  #crash(err: unknown): void {
    this.#log.fatal({ err }, 'pty worker crashed')
    try {
      if (this.#pty) signalGroup(this.#pty.pid, 'SIGKILL')
    } finally {
      process.exit(EXIT_INTERNAL_ERROR)
    }
  }

  #every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms)
    t.unref()
    this.#timers.push(t)
  }

  #after(ms: number, fn: () => void): void {
    const t = setTimeout(fn, ms)
    t.unref()
    this.#timers.push(t)
  }
}
