/**
 * `broker headless`: one long-lived child per headless agent, on the same frame protocol as
 * `broker pty`. Deliveries are queued and handed to the provider one turn at a time; each stage
 * is reported when the provider shows it happened (provider.ts), never ahead of it.
 */
import { WorkerLink } from '../child/worker-link.js'
import { LAST_OUTPUT_CHARS } from '../child/exit.js'
import { KILL_AFTER_TERM_MS } from '../terminate/index.js'
import type { FrameError } from '../protocol/errors.js'
import {
  type BrokerToWorkerFrame,
  type PayloadOf,
  type RelayDelivery,
  type WorkerToBrokerFrame,
  type WorkerToBrokerType
} from '../protocol/frames.js'
import { createLogger, type Logger } from '../protocol/log.js'
import { EXIT_SPAWN_FAILED, flushAndExit } from '../child/exit.js'
import { formatRelayLine, relayNameProblem } from '../child/relay-line.js'
import type { HeadlessProvider, ProviderEvent, ProviderSession } from './provider.js'

export interface HeadlessWorkerOptions {
  provider: HeadlessProvider
  bin: string
  args: string[]
  agentName: string | null
}

interface Open {
  d: RelayDelivery
  requestId: string | null
  accepted: boolean
  verified: boolean
}

export class HeadlessWorker {
  readonly #o: HeadlessWorkerOptions
  readonly #log: Logger
  readonly #channel: WorkerLink
  readonly #session: ProviderSession
  #name: string | null
  #initRequestId: string | null = null
  #initReceived = false
  #started = false
  #readySent = false
  #exiting = false
  /** Delivery ids this worker was given, with the last status it reported (answered again on a re-send). */
  readonly #seen = new Map<string, { type: 'delivery_queued' | 'delivery_injected' | 'delivery_verified' | 'delivery_failed'; payload: unknown }>()
  #cliPid: number | null = null
  readonly #queue: Open[] = []
  #active: Open | null = null

  constructor(o: HeadlessWorkerOptions) {
    this.#o = o
    this.#name = o.agentName
    this.#log = createLogger(`headless:${o.agentName ?? o.provider.name}`)
    this.#channel = new WorkerLink({
      onFrame: (f) => this.#onFrame(f),
      onError: (err) => this.#onFrameError(err),
      onEnd: () => void this.shutdown(KILL_AFTER_TERM_MS, 'stdin closed'),
      onAbandoned: (ms) => void this.shutdown(KILL_AFTER_TERM_MS, `not adopted within ${ms} ms of losing the supervisor`),
      selfState: () => ({
        name: this.name,
        cli_pid: this.#cliPid,
        ready: this.#readySent,
        busy: this.#active !== null || this.#queue.length > 0,
        blocked: null
      }),
      log: this.#log
    })
    this.#session = o.provider.create({
      bin: o.bin,
      args: o.args,
      cwd: process.cwd(),
      // The provider starts in its spawn folder and says so: opencode trusts $PWD over its real cwd.
      env: { ...process.env, PWD: process.cwd() },
      log: this.#log,
      emit: (ev) => this.#onProvider(ev)
    })
  }

  get name(): string {
    return this.#name ?? `headless-${this.#o.provider.name}`
  }

  start(): void {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void this.shutdown(KILL_AFTER_TERM_MS, sig))
    process.on('SIGHUP', () => {
      if (!this.#channel.orphaned) void this.shutdown(KILL_AFTER_TERM_MS, 'SIGHUP')
    })
    this.#session.start()
    if (!this.#session.longLived) this.#started = true
    this.#maybeReady()
  }

  send<T extends WorkerToBrokerType>(type: T, payload: PayloadOf<WorkerToBrokerFrame, T>, requestId: string | null = null): void {
    if (type === 'delivery_queued' || type === 'delivery_injected' || type === 'delivery_verified' || type === 'delivery_failed') {
      const id = (payload as { delivery_id: string }).delivery_id
      const prev = this.#seen.get(id)
      if (!(prev?.type === 'delivery_verified' && type === 'delivery_failed')) this.#seen.set(id, { type, payload })
    }
    try {
      this.#channel.send(type, payload as never, requestId)
    } catch (err) {
      this.#log.error({ err, type }, 'could not send frame')
    }
  }

  /** Stops the provider's process tree, fails what is still open, reports and exits. */
  async shutdown(graceMs: number, reason: string): Promise<void> {
    if (this.#exiting) return
    this.#exiting = true
    this.#channel.stopping()
    this.#log.info({ reason, grace_ms: graceMs }, 'shutting down the provider')
    const status = await this.#session.stop(graceMs)
    this.#failAll('worker shut down before the delivery completed')
    this.send('worker_exited', { code: status.code, signal: status.signal })
    await this.#finish(0)
  }

  #maybeReady(): void {
    if (this.#readySent || !this.#initReceived || !this.#started || this.#exiting) return
    this.#readySent = true
    this.send('worker_ready', { name: this.name, runtime: 'headless' }, this.#initRequestId)
    this.#pump()
  }

  #onFrame(frame: BrokerToWorkerFrame): void {
    const rid = frame.request_id
    switch (frame.type) {
      case 'init_worker':
        if (this.#name === null && frame.payload.agent.name) this.#name = frame.payload.agent.name
        this.#channel.configure(frame.payload.adoption)
        this.#initRequestId = rid
        this.#initReceived = true
        this.#maybeReady()
        return
      case 'deliver_relay':
        this.#deliver(frame.payload, rid)
        return
      case 'shutdown_worker':
        void this.shutdown(frame.payload.grace_ms, frame.payload.reason)
        return
      case 'ping':
        this.send('pong', { ts_ms: frame.payload.ts_ms }, rid)
        return
      case 'snapshot_pty':
        this.send('snapshot_response', { error: { code: 'unsupported_runtime', message: 'a headless agent has no screen' } }, rid)
        return
      case 'resize_pty':
      case 'write_pty':
      case 'set_model':
      case 'adopt_worker':
        this.send('worker_error', { code: 'unsupported_runtime', message: `${frame.type} is not supported by a headless agent`, retryable: false }, rid)
        return
    }
  }

  #onFrameError(err: FrameError): void {
    this.#log.warn({ code: err.code, fatal: err.fatal }, err.message)
    this.send('worker_error', { code: err.code, message: err.message, retryable: false }, err.requestId)
    if (err.fatal) void this.shutdown(KILL_AFTER_TERM_MS, `frame channel lost: ${err.code}`)
  }

  #ref(d: RelayDelivery) {
    return { delivery_id: d.delivery_id, event_id: d.event_id }
  }

  #stamp(d: RelayDelivery) {
    return { ...this.#ref(d), worker_name: this.name, timestamp: Date.now() }
  }

  #deliver(d: RelayDelivery, requestId: string | null): void {
    if (this.#exiting) {
      this.send('delivery_failed', { ...this.#ref(d), reason: 'worker is shutting down', stage: 'queued' }, requestId)
      return
    }
    const last = this.#seen.get(d.delivery_id)
    if (last) {
      // A re-send (e.g. by a supervisor that adopted this worker): its last status again, never a second turn.
      this.send(last.type, last.payload as never, requestId)
      return
    }
    const badName = relayNameProblem(d)
    if (badName !== null) {
      this.send('delivery_failed', { ...this.#ref(d), reason: `invalid_name: ${badName}`, stage: 'queued' }, requestId)
      return
    }
    this.#queue.push({ d, requestId, accepted: false, verified: false })
    this.send('delivery_queued', this.#stamp(d), requestId)
    this.#pump()
  }

  #pump(): void {
    if (this.#active || !this.#readySent || this.#exiting) return
    const next = this.#queue.shift()
    if (!next) return
    this.#active = next
    this.#session.submit({ id: next.d.delivery_id, text: formatRelayLine(next.d) })
  }

  #current(turn: string): Open | null {
    return this.#active && this.#active.d.delivery_id === turn ? this.#active : null
  }

  /** The turn's delivery when it reaches `stage` for the first time (marked now), else null. */
  #firstTime(turn: string, stage: 'accepted' | 'verified'): Open | null {
    const a = this.#current(turn)
    if (!a || a[stage]) return null
    a[stage] = true
    return a
  }

  #onProvider(ev: ProviderEvent): void {
    switch (ev.kind) {
      case 'process_started':
        this.#cliPid = ev.pid
        this.send('worker_started', { cli_pid: ev.pid, rows: 0, cols: 0 })
        if (!this.#started) {
          this.#started = true
          this.#maybeReady()
        }
        return
      case 'stream':
        this.send('worker_stream', { stream: ev.stream, chunk: ev.line, ...(ev.eventType ? { event_type: ev.eventType } : {}) })
        return
      case 'accepted': {
        const a = this.#firstTime(ev.turn, 'accepted')
        if (a) this.send('delivery_injected', this.#stamp(a.d), a.requestId)
        return
      }
      case 'working': {
        const a = this.#current(ev.turn)
        if (a) this.send('delivery_active', { ...this.#ref(a.d), pattern: `headless:${this.#o.provider.name}` })
        return
      }
      case 'acknowledged': {
        const a = this.#firstTime(ev.turn, 'verified')
        if (!a) return
        this.send('delivery_ack', this.#ref(a.d), a.requestId)
        this.send('delivery_verified', { ...this.#ref(a.d), verification: 'provider' }, a.requestId)
        return
      }
      case 'turn_done': {
        if (this.#current(ev.turn)) this.#active = null
        this.#pump()
        // Nothing left to hand over: the agent waits for input (a task agent's task is done).
        if (!this.#active && !this.#exiting) this.send('agent_idle', { idle_secs: 0, reason: 'turn_done' })
        return
      }
      case 'turn_failed': {
        const a = this.#current(ev.turn)
        if (!a) return
        this.#active = null
        if (a.verified) this.#log.warn({ delivery_id: a.d.delivery_id, reason: ev.reason }, 'turn failed after the model took it up')
        else this.#failed(a, ev.reason)
        this.#pump()
        return
      }
      case 'exited':
        void this.#providerGone(ev)
        return
    }
  }

  /** The long-lived provider died on its own (or never started). */
  async #providerGone(ev: Extract<ProviderEvent, { kind: 'exited' }>): Promise<void> {
    if (this.#exiting) return
    this.#exiting = true
    this.#log.warn({ code: ev.code, signal: ev.signal }, ev.reason)
    const neverStarted = !this.#started
    if (neverStarted) this.send('worker_error', { code: 'spawn_failed', message: ev.reason, retryable: false })
    this.#failAll(ev.reason)
    this.send('agent_exit', { reason: 'child_exited', last_output: ev.reason.slice(-LAST_OUTPUT_CHARS) })
    this.send('worker_exited', { code: neverStarted ? EXIT_SPAWN_FAILED : ev.code, signal: ev.signal })
    await this.#finish(neverStarted ? EXIT_SPAWN_FAILED : (ev.code ?? 1))
  }

  #failAll(reason: string): void {
    const open = [...(this.#active ? [this.#active] : []), ...this.#queue.splice(0)]
    this.#active = null
    for (const a of open) {
      if (!a.verified) this.#failed(a, reason)
    }
  }

  /** A delivery the provider did not take up fails at the stage it reached. */
  #failed(a: Open, reason: string): void {
    this.send('delivery_failed', { ...this.#ref(a.d), reason, stage: a.accepted ? 'injected' : 'queued' }, a.requestId)
  }

  async #finish(status: number): Promise<void> {
    await flushAndExit(this.#channel, status)
  }
}
