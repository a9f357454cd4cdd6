/**
 * The supervisor's single owner of broker state. Everything reaches it on one event loop:
 * API commands (the public methods), and typed runtime events through `dispatch`
 * (worker frame, worker exit, frame error, maintenance tick, signal). Handlers run to
 * completion and never block on a child.
 */
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { FrameError, WorkerToBrokerFrame } from '../protocol/index.js'
import { MAINTENANCE_TICK_MS, OWNER_LEASE_MS, BROKER_SHUTDOWN_DEADLINE_MS } from '../protocol/constants.js'
import { EmbeddedHub } from '../hub/embedded.js'
import type { Hub } from '../hub/types.js'
import { EventBus, type BrokerEvent } from './events.js'
import { WorkerHandle, type ExitInfo } from './worker-handle.js'
import { childEnv, prepareSpawn, SpawnError, type SpawnRequest } from './agent-spec.js'
import { DeliveryTracker, newId, type DeliveryRecord } from './delivery-tracker.js'
import { writeJsonAtomic } from './files.js'
import type { BrokerPaths } from './paths.js'
import { handleWorkerFrame } from './worker-frames.js'

export interface RuntimeConfig {
  name: string
  paths: BrokerPaths
  apiKey: string
  /** The broker's own channels (`--channels`). */
  channels: string[]
  /** Channels for a spawn that names none. */
  defaultAgentChannels: string[]
  /** Owner lease on (ephemeral brokers): shut down when not renewed in time. */
  leaseEnabled: boolean
  cwd: string
  log: Logger
}

export type RuntimeEvent =
  | { type: 'worker_frame'; handle: WorkerHandle; frame: WorkerToBrokerFrame }
  | { type: 'worker_frame_error'; handle: WorkerHandle; error: FrameError }
  | { type: 'worker_exit'; handle: WorkerHandle; info: ExitInfo }
  | { type: 'tick'; now: number }
  | { type: 'signal'; signal: NodeJS.Signals }

export interface AgentEntry {
  handle: WorkerHandle
  parent: string | null
  lastActivityAt: number
  idle: boolean
  /** Set while a release is in progress: the exit that follows is expected. */
  releasing: boolean
}

export interface SendRequest {
  to: string
  text: string
  from: string | null
  thread_id: string | null
  mode: 'wait' | 'steer'
}

export interface SendResult {
  event_id: string
  targets: string[]
  deliveries: { name: string; delivery_id: string }[]
}

export class NoRecipientError extends Error {
  readonly code = 'agent_not_found'
  readonly to: string
  constructor(to: string) {
    super(
      to.startsWith('#')
        ? `Agent "${to}" not found: no agent is subscribed to ${to}`
        : `Agent "${to}" not found`
    )
    this.name = 'NoRecipientError'
    this.to = to
  }
}

export class BrokerRuntime {
  readonly config: RuntimeConfig
  readonly events = new EventBus()
  readonly deliveries = new DeliveryTracker()
  readonly hub: Hub = new EmbeddedHub()
  readonly agents = new Map<string, AgentEntry>()
  readonly startedAt = Date.now()
  readonly log: Logger
  url = ''
  lastLeaseRenewal = Date.now()
  #tick: NodeJS.Timeout | null = null
  #shuttingDown: Promise<void> | null = null
  #onShutdown: (() => void)[] = []

  constructor(config: RuntimeConfig) {
    this.config = config
    this.log = config.log
  }

  start(url: string): void {
    this.url = url
    this.#tick = setInterval(() => this.dispatch({ type: 'tick', now: Date.now() }), MAINTENANCE_TICK_MS)
    this.#tick.unref()
  }

  emit(event: BrokerEvent): void {
    this.events.emit(event)
  }

  // ── typed runtime events ───────────────────────────────────────────────────

  dispatch(ev: RuntimeEvent): void {
    switch (ev.type) {
      case 'worker_frame':
        handleWorkerFrame(this, ev.handle, ev.frame)
        return
      case 'worker_frame_error':
        this.#onFrameError(ev.handle, ev.error)
        return
      case 'worker_exit':
        this.#onWorkerExit(ev.handle, ev.info)
        return
      case 'tick':
        this.#onTick(ev.now)
        return
      case 'signal':
        this.log.info({ signal: ev.signal }, 'signal received, shutting down')
        void this.shutdown(`signal ${ev.signal}`)
        return
    }
  }

  // ── commands (API) ─────────────────────────────────────────────────────────

  spawnAgent(req: SpawnRequest, parent = 'Dashboard'): WorkerHandle {
    if (this.#shuttingDown) throw new SpawnError('shutting_down', 'broker is shutting down', 503)
    if (this.agents.has(req.name)) throw new SpawnError('agent_exists', `agent '${req.name}' already exists`, 409)
    const prepared = prepareSpawn(req, this.config.cwd, this.config.defaultAgentChannels)
    const handle = new WorkerHandle({
      spec: prepared.spec,
      argv: prepared.argv,
      cwd: prepared.cwd,
      env: childEnv(req.name, this.url),
      logFile: join(this.config.paths.logs, `${req.name}.log`),
      onFrame: (h, frame) => this.dispatch({ type: 'worker_frame', handle: h, frame }),
      onFrameError: (h, error) => this.dispatch({ type: 'worker_frame_error', handle: h, error }),
      onExit: (h, info) => this.dispatch({ type: 'worker_exit', handle: h, info })
    })
    try {
      handle.start()
    } catch (err) {
      throw new SpawnError('spawn_failed', `failed to start worker for '${req.name}': ${(err as Error).message}`, 500)
    }
    this.agents.set(req.name, { handle, parent, lastActivityAt: Date.now(), idle: false, releasing: false })
    this.hub.join(req.name, prepared.spec.channels)
    handle.send('init_worker', { agent: prepared.spec })
    this.emit({
      kind: 'agent_spawned',
      name: req.name,
      runtime: 'pty',
      provider: null,
      cli: prepared.spec.cli,
      model: prepared.spec.model ?? null,
      pid: handle.pid ?? 0,
      source: 'http_api',
      pre_registered: false,
      registration_warning: null
    })
    this.log.info({ agent: req.name, pid: handle.pid, cli: prepared.executable }, 'agent spawned')
    this.saveState()
    if (req.task) this.#deliver(req.name, { event_id: newId('init'), from: 'broker', to: req.name, body: req.task, thread_id: null, priority: 2, injection_mode: 'wait' })
    return handle
  }

  /** Stops an agent and waits until its process tree is gone. False if there was no such agent. */
  async releaseAgent(name: string, reason = 'release'): Promise<boolean> {
    const entry = this.agents.get(name)
    if (!entry) return false
    if (!entry.releasing) {
      entry.releasing = true
      this.emit({ kind: 'agent_exit', name, reason: 'released' })
    }
    await entry.handle.stop(reason)
    return true
  }

  send(req: SendRequest): SendResult {
    const from = this.#normalizeSender(req.from)
    const to = req.to.trim()
    const route = this.hub.route(to, from)
    if (route.targets.length === 0) throw new NoRecipientError(to)
    const event_id = newId('http')
    const priority = route.kind === 'channel' ? 3 : 2
    const deliveries: SendResult['deliveries'] = []
    for (const target of route.targets) {
      const rec = this.#deliver(target, { event_id, from, to, body: req.text, thread_id: req.thread_id, priority, injection_mode: req.mode })
      deliveries.push({ name: target, delivery_id: rec.delivery_id })
    }
    this.emit({
      kind: 'relay_inbound',
      event_id,
      from,
      target: to,
      body: req.text,
      thread_id: req.thread_id,
      workspace_id: 'local',
      workspace_alias: null
    })
    return { event_id, targets: route.targets, deliveries }
  }

  renewLease(): void {
    this.lastLeaseRenewal = Date.now()
  }

  onShutdown(fn: () => void): void {
    this.#onShutdown.push(fn)
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown !== null
  }

  /** Stops every child (in parallel, bounded by a deadline), then runs the shutdown hooks. */
  shutdown(reason: string): Promise<void> {
    this.#shuttingDown ??= (async () => {
      this.log.info({ reason, agents: this.agents.size }, 'broker shutting down')
      if (this.#tick) clearInterval(this.#tick)
      const stops = [...this.agents.keys()].map((name) => this.releaseAgent(name, 'broker_shutdown'))
      let deadline: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.allSettled(stops),
        new Promise<void>((r) => {
          deadline = setTimeout(r, BROKER_SHUTDOWN_DEADLINE_MS)
        })
      ])
      clearTimeout(deadline)
      for (const entry of this.agents.values()) entry.handle.kill()
      for (const fn of this.#onShutdown) fn()
    })()
    return this.#shuttingDown
  }

  saveState(): void {
    const agents: Record<string, unknown> = {}
    for (const [name, entry] of this.agents) {
      const h = entry.handle
      agents[name] = { spec: h.spec, parent: entry.parent, pid: h.pid, cli_pid: h.cliPid, started_at: Math.floor(h.startedAt / 1000) }
    }
    try {
      writeJsonAtomic(this.config.paths.state, { agents })
    } catch (err) {
      this.log.warn({ err }, 'could not write state file')
    }
  }

  // ── internals ──────────────────────────────────────────────────────────────

  #normalizeSender(from: string | null): string {
    const f = (from ?? '').trim()
    if (!f) return this.config.name
    const lower = f.toLowerCase()
    if (lower === 'dashboard' || lower === 'human:dashboard' || lower === 'human:orchestrator' || lower === this.config.name.toLowerCase()) {
      return this.config.name
    }
    return f
  }

  #deliver(agent: string, msg: Omit<DeliveryRecord, 'delivery_id' | 'stage' | 'reason' | 'created_at' | 'history' | 'agent'>): DeliveryRecord {
    const rec = this.deliveries.create({ ...msg, agent })
    const entry = this.agents.get(agent)
    entry?.handle.send('deliver_relay', {
      delivery_id: rec.delivery_id,
      event_id: rec.event_id,
      workspace_id: 'local',
      workspace_alias: null,
      from: rec.from,
      target: rec.to,
      body: rec.body,
      thread_id: rec.thread_id,
      priority: rec.priority,
      injection_mode: rec.injection_mode
    })
    return rec
  }

  /** Marks a delivery failed and tells subscribers, in the SDK's two event forms. */
  failDelivery(id: string, reason: string): void {
    const rec = this.deliveries.advance(id, 'failed', reason)
    if (!rec) return
    this.emit({ kind: 'delivery_failed', name: rec.agent, delivery_id: rec.delivery_id, event_id: rec.event_id, reason })
    this.emit({
      kind: 'message_delivery_failed',
      name: rec.agent,
      delivery_id: rec.delivery_id,
      event_id: rec.event_id,
      from: rec.from,
      to: rec.to,
      attempts: 1,
      lastError: reason
    })
  }

  #onFrameError(handle: WorkerHandle, error: FrameError): void {
    this.log.warn({ agent: handle.name, code: error.code, fatal: error.fatal }, error.message)
    this.emit({
      kind: 'worker_error',
      name: handle.name,
      code: error.code,
      message: error.message,
      error: { code: error.code, message: error.message, retryable: false }
    })
  }

  #onWorkerExit(handle: WorkerHandle, info: ExitInfo): void {
    const entry = this.agents.get(handle.name)
    if (!entry || entry.handle !== handle) return
    this.agents.delete(handle.name)
    this.hub.leave(handle.name)
    const reason = entry.releasing ? 'released' : (info.agentExitReason ?? 'worker_exited')
    for (const rec of this.deliveries.openFor(handle.name)) {
      this.failDelivery(rec.delivery_id, entry.releasing ? 'agent_released' : 'worker_exited')
    }
    this.log.info({ agent: handle.name, code: info.code, signal: info.signal, reason }, 'agent exited')
    this.emit({ kind: 'agent_exited', name: handle.name, code: info.code, signal: info.signal, reason })
    if (entry.releasing) this.emit({ kind: 'agent_released', name: handle.name })
    this.saveState()
  }

  #onTick(now: number): void {
    if (this.config.leaseEnabled && now - this.lastLeaseRenewal > OWNER_LEASE_MS && !this.#shuttingDown) {
      this.log.warn('owner lease expired')
      void this.shutdown('owner lease expired')
    }
  }
}
