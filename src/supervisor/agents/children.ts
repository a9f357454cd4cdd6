/**
 * Starting an agent's child: the handle with its environment and log, the PID journal entry,
 * the adoption socket it will wait on if this supervisor dies, and the `init_worker` frame.
 */
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { FrameError, WorkerToBrokerFrame } from '../../protocol/index.js'
import type { Hub } from '../../hub/types.js'
import { adoptionFor } from '../adoption/files.js'
import { WorkerHandle, type ExitInfo } from '../worker/handle.js'
import type { RuntimeConfig } from '../config.js'
import type { EventBus } from '../observe/events.js'
import type { SupervisionMetrics } from '../observe/metrics.js'
import type { PidJournal } from '../process/pid-journal.js'
import type { DeliveryRecord } from '../delivery/tracker.js'
import type { Message } from '../delivery/types.js'
import type { AgentRegistry } from './registry.js'
import type { AgentTokens } from './tokens.js'
import { childEnv, SpawnError, type PreparedSpawn, type SpawnRequest } from './spawn-spec.js'

/** How long a child of a durable broker (--persist / --state-dir) waits to be adopted after losing its supervisor. */
export const ADOPT_WINDOW_DURABLE_MS = 600_000

/** The same for an ephemeral broker (nobody can restart on its fresh temp dir): short, then the child exits. */
export const ADOPT_WINDOW_EPHEMERAL_MS = 10_000

/** An agent's deliveries, as its lifecycle sees them (the delivery engine). */
export interface AgentDeliveries {
  factsPath(agent: string): string
  deliver(agent: string, msg: Message): DeliveryRecord
  openFor(agent: string): DeliveryRecord[]
  /** A child for the agent is up (first start, restart, adoption): hand it its deliveries. */
  onAgentStarted(agent: string): void
  /** The agent's child is gone; `final`: the agent is gone for good. */
  onAgentDown(agent: string, final: boolean, reason: string): void
}

/** What the agents' lifecycle needs from the rest of the supervisor (runtime.ts wires it). */
export interface LifecyclePorts {
  readonly config: Pick<RuntimeConfig, 'cwd' | 'defaultAgentChannels' | 'paths' | 'adoptWindowMs'>
  readonly agents: AgentRegistry
  readonly hub: Pick<Hub, 'join' | 'leave' | 'channelsOf'>
  readonly tokens: Pick<AgentTokens, 'issue'>
  readonly events: Pick<EventBus, 'emit' | 'subscribe'>
  readonly log: Logger
  readonly deliveries: AgentDeliveries
  brokerUrl(): string
  shuttingDown(): boolean
  saveState(): void
  /** A decoded frame of a child goes to the frame table (worker/frame-table.ts). */
  routeFrame(handle: WorkerHandle, frame: WorkerToBrokerFrame): void
  frameError(handle: WorkerHandle, error: FrameError): void
}

export class ChildStarter {
  readonly #p: LifecyclePorts
  readonly #journal: PidJournal
  readonly #metrics: SupervisionMetrics
  readonly #onExit: (handle: WorkerHandle, info: ExitInfo) => void

  constructor(ports: LifecyclePorts, journal: PidJournal, metrics: SupervisionMetrics, onExit: (handle: WorkerHandle, info: ExitInfo) => void) {
    this.#p = ports
    this.#journal = journal
    this.#metrics = metrics
    this.#onExit = onExit
  }

  /** How long this broker's children wait to be adopted after losing it. */
  get adoptWindowMs(): number {
    return this.#p.config.adoptWindowMs ?? (this.#p.config.paths.durable ? ADOPT_WINDOW_DURABLE_MS : ADOPT_WINDOW_EPHEMERAL_MS)
  }

  /** The agent's API token (kept across restarts); a bad caller-chosen token is a 400. */
  token(req: SpawnRequest): string {
    try {
      return this.#p.tokens.issue(req.name, req.agent_token ?? null)
    } catch (err) {
      throw new SpawnError('invalid_agent_token', (err as Error).message)
    }
  }

  newHandle(req: SpawnRequest, prepared: PreparedSpawn, adopted: { marker?: string; startedAt?: number } = {}): WorkerHandle {
    return new WorkerHandle({
      spec: prepared.spec,
      argv: prepared.argv,
      cwd: prepared.cwd,
      env: { ...childEnv(req.name, this.#p.brokerUrl(), this.token(req), req.env ?? null), ...prepared.env },
      logFile: join(this.#p.config.paths.logs, `${req.name}.log`),
      onFrame: (h, frame) => this.#p.routeFrame(h, frame),
      onFrameError: (h, error) => this.#p.frameError(h, error),
      onExit: this.#onExit,
      onStarted: (h) => this.#journal.update(h.marker, { cli_pid: h.cliPid, cli_start_ticks: h.cliStartTicks }),
      onReady: (h) => this.#metrics.onReady(h.name),
      onCongestion: (h, congested, backlog) => this.#onCongestion(h, congested, backlog),
      ...adopted
    })
  }

  start(req: SpawnRequest, prepared: PreparedSpawn): WorkerHandle {
    const handle = this.newHandle(req, prepared)
    try {
      handle.start()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new SpawnError('unsafe_state_file', `logs/${req.name}.log is a symlink: not written through`)
      throw new SpawnError('spawn_failed', `failed to start worker for '${req.name}': ${(err as Error).message}`)
    }
    const where = adoptionFor(this.#p.config.paths.root)
    handle.adoption = { ...where, window_ms: this.adoptWindowMs, journal_path: this.#journal.path }
    this.#journal.put({
      agent: req.name,
      env_marker: handle.marker,
      worker_pid: handle.pid ?? 0,
      worker_start_ticks: handle.startTicks,
      cli_pid: null,
      cli_start_ticks: null,
      broker_pid: process.pid,
      started_at: handle.startedAt,
      adopt_socket: where.socket_path,
      adopt_secret: where.secret
    })
    this.#metrics.onSpawn(req.name)
    return handle
  }

  init(handle: WorkerHandle): void {
    handle.send('init_worker', { agent: handle.spec, facts_path: this.#p.deliveries.factsPath(handle.name), adoption: handle.adoption })
    this.#p.deliveries.onAgentStarted(handle.name)
  }

  #onCongestion(handle: WorkerHandle, congested: boolean, backlog: number): void {
    if (!congested) {
      this.#p.log.info({ agent: handle.name }, 'worker stdin drained')
      return
    }
    this.#metrics.stdinCongestions++
    const message = `worker is not reading its input: ${backlog} bytes queued; optional frames are held back until it drains`
    this.#p.log.warn({ agent: handle.name, backlog }, message)
    this.#p.events.emit({ kind: 'worker_error', name: handle.name, code: 'stdin_backlog', message, error: { code: 'stdin_backlog', message, retryable: true } })
  }
}
