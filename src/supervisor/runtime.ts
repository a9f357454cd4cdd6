/**
 * The composition root of the supervisor: it builds every part, hands each one the small ports
 * it needs (no part holds this object), and is the one owner of broker state on one event loop.
 * API commands arrive through the `Broker` methods (broker.ts); a child's frames go handle →
 * frame table (worker/frame-table.ts) → owner, its exit handle → lifecycle; the maintenance tick
 * and signals arrive through `dispatch`. Only `broker init` (cli/init.ts) constructs it.
 */
import type { Logger } from 'pino'
import type { FrameError } from '../protocol/index.js'
import { EmbeddedHub } from '../hub/embedded.js'
import { EventBus, type BrokerEvent } from './observe/events.js'
import { eventAgent } from '../protocol/event-kinds.js'
import type { WorkerHandle } from './worker/handle.js'
import { prepareSpawn, type SpawnRequest } from './agents/spawn-spec.js'
import { unstartedRecord, type AgentRecord } from './agents/records.js'
import { DeliveryTracker, newId } from './delivery/tracker.js'
import { AgentLifecycle } from './agents/lifecycle.js'
import { DeliveryEngine } from './delivery/engine.js'
import type { SendRequest, SendResult } from './delivery/types.js'
import type { RuntimeConfig } from './config.js'
import { recipientsOf, type AgentRegistry } from './agents/registry.js'
import type { Broker, StorageHealth, SupervisorSignal } from './broker.js'
import type { Hub } from '../hub/types.js'
import { readJson } from './state/files.js'
import { AsyncJsonFile } from './state/async-file.js'
import { AgentTokens, revokeTokensOnDeparture } from './agents/tokens.js'
import { MessageHistory } from './delivery/history.js'
import { routeFrame, type FrameOwners } from './worker/frame-table.js'
import { LoopMonitor } from './observe/loop-monitor.js'
import { join } from 'node:path'
import { HistoryLog } from '../history/log.js'
import { OffloadPool } from '../offload/pool.js'
import { TaskExit } from './agents/task-exit.js'
import { AgentResults } from './agents/results.js'
import { SpawnGate } from './agents/spawn-gate.js'
import { asStorageError } from './state/durable.js'
import { OWNER_LEASE_MS } from './config.js'

/** Maintenance tick: request time-outs, exit sweeps, lease checks. */
export const MAINTENANCE_TICK_MS = 500

/** Deadline for a whole graceful broker shutdown. */
export const BROKER_SHUTDOWN_DEADLINE_MS = 5_000

export type { RuntimeConfig } from './config.js'


export class BrokerRuntime implements Broker {
  readonly config: RuntimeConfig
  readonly events = new EventBus()
  readonly deliveries = new DeliveryTracker()
  readonly hub: Hub
  readonly agents: AgentRegistry = new Map()
  readonly lifecycle: AgentLifecycle
  /** Agent API tokens (`RELAY_AGENT_TOKEN`); kept in each agent's state record. */
  readonly agentTokens: AgentTokens
  /** Sends and inbounds for `/api/threads` and agent inboxes. */
  readonly history: MessageHistory
  /** The delivery engine (delivery/engine.ts). */
  readonly messaging: DeliveryEngine
  /** Task agents: ending them when their task is done. */
  readonly tasks: TaskExit
  /** Results agents submit (`agent_result`). */
  readonly results: AgentResults
  readonly startedAt = Date.now()
  readonly log: Logger
  /** The supervisor's own event-loop delay (`/api/metrics`). */
  readonly loop = new LoopMonitor()
  /** Worker threads for work too heavy for this loop (history searches, journal compaction). */
  readonly offload = new OffloadPool()
  /** Spawn storms: how many children start at once (spawn-gate.ts). */
  readonly spawnGate = new SpawnGate()
  readonly #stateFile: AsyncJsonFile
  /** Records of agents whose spawn is being recorded (their child is not started yet). */
  readonly #pendingRecords = new Map<string, unknown>()
  url = ''
  /** Epoch ms of the last `POST /api/session/renew`; null until the first (the lease is not armed). */
  lastLeaseRenewal: number | null = null
  #tick: NodeJS.Timeout | null = null
  #shuttingDown: Promise<void> | null = null
  #onShutdown: (() => void)[] = []

  constructor(config: RuntimeConfig) {
    this.config = config
    this.hub = config.hub ?? new EmbeddedHub(config.name)
    this.#stateFile = new AsyncJsonFile(config.paths.state, (err) => config.log.warn({ err }, 'could not write state file'))
    this.log = config.log
    this.agentTokens = new AgentTokens(config.apiKey)
    const emit = (event: BrokerEvent): void => void this.events.emit(event)
    const saveState = (): void => void this.saveState()
    const engine = new DeliveryEngine({
      brokerName: config.name,
      stateDir: config.paths.root,
      deliveries: this.deliveries,
      hub: this.hub,
      recipients: recipientsOf(this.agents),
      log: config.log,
      offload: this.offload,
      emit
    })
    this.messaging = engine
    const frameOwners: FrameOwners = {
      agents: this.agents,
      log: config.log,
      emit,
      saveState,
      sessionOf: (name) => this.lifecycle.requestOf(name)?.session_id ?? undefined,
      onDeliveryFrame: (name, frame) => engine.onDeliveryFrame(name, frame)
    }
    this.lifecycle = new AgentLifecycle({
      config,
      agents: this.agents,
      hub: this.hub,
      tokens: this.agentTokens,
      events: this.events,
      log: config.log,
      deliveries: {
        factsPath: (agent) => engine.factsPath(agent),
        deliver: (agent, msg) => engine.deliver(agent, msg),
        openFor: (agent) => this.deliveries.openFor(agent),
        onAgentStarted: (agent) => engine.onAgentStarted(agent),
        onAgentDown: (agent, final, reason) => engine.onAgentDown(agent, final, reason)
      },
      brokerUrl: () => this.url,
      shuttingDown: () => this.shuttingDown,
      saveState,
      routeFrame: (handle, frame) => routeFrame(frameOwners, handle, frame),
      frameError: (handle, error) => this.#onFrameError(handle, error)
    })
    // Tokens of the previous run's agents: a respawned agent keeps its identity.
    this.agentTokens.restore(readJson(config.paths.state))
    revokeTokensOnDeparture(this.events, this.agentTokens, (name) => this.agents.has(name))
    const log = new HistoryLog(join(config.paths.root, 'history'), { onError: (err) => config.log.warn({ err }, 'could not append to the message history') })
    this.history = new MessageHistory({ events: this.events, hub: this.hub, deliveries: this.deliveries, log, pool: this.offload })
    this.tasks = new TaskExit(this)
    this.results = new AgentResults(this)
  }

  start(url: string): void {
    this.url = url
    this.loop.start()
    this.#tick = setInterval(() => this.dispatch({ type: 'tick', now: Date.now() }), MAINTENANCE_TICK_MS)
    this.#tick.unref()
  }

  emit(event: BrokerEvent): void {
    this.events.emit(event)
  }

  // ── typed runtime events ───────────────────────────────────────────────────

  dispatch(ev: SupervisorSignal): void {
    switch (ev.type) {
      case 'tick':
        this.#onTick(ev.now)
        return
      case 'signal':
        this.log.info({ signal: ev.signal }, 'signal received, shutting down')
        void this.shutdown(`signal ${ev.signal}`, { keepAgents: ev.signal === 'SIGTERM' && this.config.keepAgentsOnSigterm === true && this.config.paths.durable })
        return
    }
  }

  // ── commands (API) ─────────────────────────────────────────────────────────

  /**
   * Spawns an agent once a start slot is free and its record is on disk: a spawn that cannot be
   * recorded (disk full) is refused with StorageUnavailableError before any child starts, and
   * leaves nothing behind. Resolves when the child has started.
   */
  async spawnAgent(req: SpawnRequest, parent = 'Dashboard'): Promise<WorkerHandle> {
    if (!req.session_id) req = { ...req, session_id: newId('ses') } // in the record written before the child starts
    const slot = await this.spawnGate.enter()
    let handle: WorkerHandle
    try {
      const held = this.#reserve(req, parent)
      this.#pendingRecords.set(req.name, held.record)
      try {
        await this.saveState()
        this.#pendingRecords.delete(req.name)
        handle = this.lifecycle.spawn(req, parent, 'http_api', null, true)
      } catch (err) {
        // Refused: the state file's newest content (retried by the tick) must not hold it either.
        if (this.#pendingRecords.delete(req.name)) void this.saveState()
        throw err
      } finally {
        held.cancel()
      }
    } catch (err) {
      slot.free()
      throw asStorageError(this.config.paths.state, err)
    }
    // The slot is given back when the child is ready or gone (or after SPAWN_SLOT_HOLD_MAX_MS).
    const stop = this.events.subscribe((ev) => {
      if (eventAgent(ev.event) !== req.name) return
      if (ev.kind === 'worker_ready' || ev.kind === 'agent_exited' || ev.kind === 'agent_restarting') {
        stop()
        slot.free()
      }
    })
    this.spawnGate.holdAtMost({
      free: () => {
        stop()
        slot.free()
      }
    })
    return handle
  }

  releaseAgent(name: string, reason = 'release'): Promise<boolean> {
    return this.lifecycle.release(name, reason)
  }

  send(req: SendRequest): Promise<SendResult> {
    return this.messaging.send(req)
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

  /**
   * Stops every child (in parallel, bounded by a deadline), then runs the shutdown hooks.
   * `keepAgents` (planned hand-over): the children are left running, still in the PID journal,
   * with the agents' records and open deliveries on disk; the next start adopts them.
   */
  shutdown(reason: string, opts: { keepAgents?: boolean } = {}): Promise<void> {
    this.#shuttingDown ??= (async () => {
      await Promise.resolve() // from here on `shuttingDown` is true (the assignment has happened)
      this.log.info({ reason, agents: this.agents.size, keep_agents: opts.keepAgents === true }, 'broker shutting down')
      if (this.#tick) clearInterval(this.#tick)
      if (opts.keepAgents) {
        // Planned hand-over: the children keep running (and stay in the PID journal) for the next broker.
        this.lifecycle.detachAll()
        this.emit({ kind: 'broker_handover', agents: [...this.agents.keys()] })
      } else {
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
      }
      await this.lifecycle.close()
      this.loop.stop()
      this.messaging.close()
      await this.history.close()
      await this.offload.close()
      await this.stateWritten().catch((err: unknown) => this.log.error({ err }, 'state file not written at shutdown'))
      for (const fn of this.#onShutdown) fn()
    })()
    return this.#shuttingDown
  }

  /**
   * Writes the agents' records to `state.json` off the event loop (temp file, fsync, rename);
   * changes made while a write is in flight collapse into one more write of the newest state.
   * Resolves once this state (or a newer one) is on disk.
   */
  saveState(): Promise<void> {
    // A graceful stop of a durable broker keeps the agents' records: the next start resumes them.
    if (this.#shuttingDown && this.config.paths.durable) return this.#stateFile.idle()
    const agents: Record<string, unknown> = {}
    for (const [name, entry] of this.agents) {
      agents[name] = { ...this.lifecycle.stateRecord(name, entry), agent_token: this.agentTokens.tokenOf(name) }
    }
    for (const [name, record] of this.#pendingRecords) agents[name] ??= record
    // `url`: a broker that adopts these agents listens there again if it can (their CLIs' RELAY_BROKER_URL).
    return this.#stateFile.schedule({ url: this.url, agents })
  }

  /**
   * Holds `req.name` for a spawn and returns the agent's state record as it will be, so it can
   * be written before the child starts. `cancel()` lets the name go (and a token issued for it).
   */
  #reserve(req: SpawnRequest, parent: string): { record: AgentRecord & { agent_token: string }; cancel: () => void } {
    this.lifecycle.checkSpawn(req.name)
    const prepared = prepareSpawn(req, this.config.cwd, this.config.defaultAgentChannels)
    const hadToken = this.agentTokens.tokenOf(req.name) !== null
    const token = this.lifecycle.agentToken(req)
    this.lifecycle.reserved.add(req.name)
    let held = true
    const cancel = (): void => {
      if (!held) return
      held = false
      this.lifecycle.reserved.delete(req.name)
      if (!hadToken && !this.agents.has(req.name)) this.agentTokens.revoke(req.name)
    }
    return { record: { ...unstartedRecord(req, parent, prepared.spec), agent_token: token }, cancel }
  }

  /**
   * Resolves when every state change so far is on disk; rejects (StorageUnavailableError) while
   * the newest state could not be written. The maintenance tick keeps trying.
   */
  stateWritten(): Promise<void> {
    return this.#stateFile.idle().catch((err: unknown) => {
      throw asStorageError(this.config.paths.state, err)
    })
  }

  /** Writing health of the state files (`/api/status`). */
  storageHealth(): StorageHealth {
    const stateError = this.#stateFile.lastError
    const journal = this.messaging.journalHealth
    return {
      ok: stateError === null && (journal?.ok ?? true),
      state_file: { ok: stateError === null, last_error: stateError === null ? null : String((stateError as Error).message ?? stateError) },
      delivery_journal: journal,
      journal_replay: this.messaging.journalReport
    }
  }


  // ── internals ──────────────────────────────────────────────────────────────

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

  #onTick(now: number): void {
    this.messaging.tick(now)
    this.#stateFile.retry()
    this.lifecycle.journal.retry()
    this.lifecycle.crashes.retry()
    const renewed = this.lastLeaseRenewal
    if (this.config.leaseEnabled && renewed !== null && now - renewed > (this.config.leaseMs ?? OWNER_LEASE_MS) && !this.#shuttingDown) {
      this.log.warn('owner lease expired')
      void this.shutdown('owner lease expired')
    }
  }
}
