/**
 * The PTY worker: starts the CLI in a pty, hands it to a CliSession (session.ts: screen, writer,
 * stream, readiness, deliveries), speaks the frame channel, and owns the process's lifecycle
 * (CLI exit, shutdown, signals).
 */
import pty, { type IPty } from 'node-pty'
import { WorkerLink, type WorkerSelfState } from '../child/worker-link.js'
import { EXIT_INTERNAL_ERROR, EXIT_PROTOCOL_ERROR, EXIT_SPAWN_FAILED, exitStatusFor, flushAndExit, LAST_OUTPUT_CHARS } from '../child/exit.js'
import { resolveCli } from '../catalog/path.js'
import type { FrameError } from '../protocol/errors.js'
import type { BrokerToWorkerFrame } from '../protocol/frames.js'
import { createLogger, type Logger } from '../protocol/log.js'
import { KILL_AFTER_TERM_MS, signalGroup, terminateGroup, type GroupTermination } from '../terminate/index.js'
import { cliEnv } from './cli-process.js'
import { FactsStore } from './facts.js'
import type { SendFrame } from './inject/deliveries.js'
import type { InjectionProfile } from './inject/inject.js'
import { profileFor, type CliProfile } from './profiles/index.js'
import { PTY_TICK_MS } from './ready/readiness.js'
import { CliSession, IDLE_CHECK_MS } from './session.js'

/** The size a CLI's terminal starts with (until a `resize_pty`). */
export const PTY_DEFAULT_ROWS = 24
export const PTY_DEFAULT_COLS = 80
/** Default idle threshold (`agent_idle` after this much PTY silence); 0 disables. */
export const IDLE_THRESHOLD_DEFAULT_SECS = 30
/** After SIGKILL to the CLI's process group: longest wait for node-pty to report its exit. */
export const CLI_EXIT_WAIT_AFTER_KILL_MS = 2_000
/** How long the relay line may take to appear on screen before the delivery fails (`verify_window_secs` overrides it). */
export const VERIFY_WINDOW_MS = 5_000

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
  #name: string | null
  #pty: IPty | null = null
  #session: CliSession | null = null
  #facts: FactsStore | null = null
  #verifyWindowMs = VERIFY_WINDOW_MS
  #initRequestId: string | null = null
  #initReceived = false
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
    const s = this.#session
    const busy = s !== null && (s.deliveries.pending > 0 || s.profileBusy())
    const tail = s?.screen.tailText(LAST_OUTPUT_CHARS)
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
      p = pty.spawn(file, args, { name: 'xterm-256color', rows, cols, cwd: process.cwd(), env: cliEnv(process.env, process.cwd(), this.#profile.facts.startEnv), encoding: null, ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}) })
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
    const session = new CliSession({
      pty: p,
      rows,
      cols,
      profile: this.#profile,
      injection: this.#injection,
      idleThresholdMs: this.#idleThresholdMs,
      log: this.#log,
      send: this.send,
      workerName: () => this.name,
      verifyWindowMs: () => this.#verifyWindowMs,
      facts: () => this.#facts,
      onReady: (reason) => {
        this.#log.info({ reason }, 'cli ready')
        this.#maybeSendReady()
      },
      onBlocked: (reason) => {
        this.#log.warn({ reason }, 'cli blocked')
        this.#blocked = reason
        this.send('worker_blocked', { reason })
      }
    })
    this.#session = session
    p.onExit(({ exitCode, signal }) => void this.#onCliExit(exitCode, signal ?? 0))
    this.#log.info({ cli: file, args: this.#opts.args, pid: p.pid }, 'cli started')
    this.send('worker_started', { cli_pid: p.pid, rows, cols })
    this.#every(PTY_TICK_MS, session.tick)
    if (session.idle.enabled) this.#every(IDLE_CHECK_MS, this.#checkIdle)
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

  readonly #checkIdle = (): void => {
    if (this.#exiting) return
    const idleSecs = this.#session!.idle.check(Date.now())
    if (idleSecs !== null) this.send('agent_idle', { idle_secs: idleSecs })
  }

  #maybeSendReady(): void {
    const reason = this.#session?.readiness.reason ?? null
    if (this.#readySent || !this.#initReceived || reason === null || this.#exiting) return
    this.#readySent = true
    this.#blocked = null
    this.#session?.stream.flush() // the output that made the CLI look ready goes first
    this.send('worker_ready', { name: this.name, runtime: 'pty', reason }, this.#initRequestId)
    this.#session?.deliveries.setReady()
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
        this.#session?.deliveries.deliver(frame.payload, rid)
        return
      case 'shutdown_worker':
        this.shutdown(frame.payload.grace_ms, frame.payload.reason)
        return
      case 'resize_pty':
      case 'snapshot_pty':
      case 'write_pty':
      case 'set_model':
        if (this.#session && !this.#exiting) this.#session.handleControl(frame)
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
    const killed = signal > 0
    this.#log.info({ exitCode, signal }, 'cli exited')
    const lastOutput = await this.#session!.close(this.#shuttingDown ? 'worker shut down before the delivery completed' : 'cli exited before the delivery completed')
    if (!this.#shuttingDown) this.send('agent_exit', { reason: 'child_exited', ...(lastOutput ? { last_output: lastOutput } : {}) })
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
    this.#session?.stream.dispose()
    this.#session?.screen.dispose()
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
