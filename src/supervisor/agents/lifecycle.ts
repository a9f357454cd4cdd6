/**
 * Agent lifecycle in the supervisor: spawn, release, exit, restart, resume. Every exit of a
 * child, whatever caused it, arrives through `onExit` (from the runtime's `worker_exit` event),
 * and the restart policy (restart-policy.ts) decides what follows:
 *
 * - requested (release, broker shutdown) or clean (code 0) or restarts disabled: final —
 *   `agent_exited`, plus `agent_released` for a release;
 * - a crash within the policy: `agent_restarting{code, signal, restart_count, delay_ms}`, the
 *   agent keeps its name, channels, token and mailbox, and after the delay a new child
 *   starts: `agent_restarted`. No `agent_exited` in between (for the SDK that event is final);
 * - a crash past the policy: `agent_exited`, then `agent_permanently_dead{reason}`.
 *
 * Each crash is recorded in the crash insights; each child is in the PID journal while alive.
 */
import type { Socket } from 'node:net'
import { adoptTargetOf } from '../adoption/process.js'
import type { WorkerHandle, ExitInfo } from '../worker/handle.js'
import { prepareSpawn, SpawnError, type PreparedSpawn, type SpawnRequest } from './spawn-spec.js'
import { newId } from '../delivery/tracker.js'
import type { AgentEntry } from './registry.js'
import { ChildStarter, type LifecyclePorts } from './children.js'
import { RestartTracker, type RestartDecision } from './restart-policy.js'
import { PidJournal, type PidEntry } from '../process/pid-journal.js'
import { CrashInsights } from '../observe/crash-insights.js'
import { SupervisionMetrics } from '../observe/metrics.js'
import type { AgentRecord, PreviousAgent } from './records.js'
import { TASK_EXIT_NOTE } from './task-exit.js'

interface Supervised {
  req: SpawnRequest
  parent: string
  tracker: RestartTracker
  restartTimer: NodeJS.Timeout | null
  taskDeliveryId: string | null
}

export class AgentLifecycle {
  readonly #p: LifecyclePorts
  readonly #children: ChildStarter
  readonly journal: PidJournal
  readonly crashes: CrashInsights
  readonly metrics = new SupervisionMetrics()
  readonly #sup = new Map<string, Supervised>()
  /** Names whose spawn is being recorded (state.json) before their child starts (runtime.spawnAgent). */
  readonly reserved = new Set<string>()

  constructor(ports: LifecyclePorts) {
    this.#p = ports
    const paths = ports.config.paths
    const warn = (what: string) => (err: unknown) => ports.log.warn({ err }, `could not write ${what}`)
    this.journal = new PidJournal(paths.pids, warn('pid journal'))
    this.crashes = new CrashInsights(paths.crashInsights, warn('crash insights'))
    this.metrics.follow(ports.events)
    this.#children = new ChildStarter(ports, this.journal, this.metrics, (h, info) => this.onExit(h, info))
  }

  checkSpawn(name: string, heldByCaller = false): void {
    if (this.#p.shuttingDown()) throw new SpawnError('shutting_down', 'broker is shutting down')
    if (this.#p.agents.has(name) || (!heldByCaller && this.reserved.has(name))) throw new SpawnError('agent_exists', `agent '${name}' already exists`)
  }

  /** Starts the agent's child now. `reserved`: the caller holds the name through `reserve`. */
  spawn(req: SpawnRequest, parent = 'Dashboard', source = 'http_api', taskDeliveryId: string | null = null, reserved = false): WorkerHandle {
    this.checkSpawn(req.name, reserved)
    if (!req.session_id) req = { ...req, session_id: newId('ses') }
    const prepared = prepareSpawn(req, this.#p.config.cwd, this.#p.config.defaultAgentChannels)
    const sup: Supervised = { req, parent, tracker: new RestartTracker(req.restart_policy), restartTimer: null, taskDeliveryId }
    const handle = this.#children.start(req, prepared)
    this.#sup.set(req.name, sup)
    this.#p.agents.set(req.name, { handle, parent, lastActivityAt: Date.now(), idle: false, releasing: false })
    this.#p.hub.join(req.name, prepared.spec.channels)
    this.#children.init(handle)
    this.#p.events.emit({
      kind: 'agent_spawned',
      name: req.name,
      runtime: prepared.spec.runtime,
      provider: prepared.spec.provider ?? null,
      cli: prepared.spec.cli,
      model: prepared.spec.model ?? null,
      pid: handle.pid ?? 0,
      sessionId: req.session_id ?? undefined,
      source,
      pre_registered: false,
      registration_warning: null
    })
    this.#p.log.info({ agent: req.name, pid: handle.pid, cli: prepared.executable, source }, 'agent spawned')
    this.#giveTask(req.name, sup)
    this.#p.saveState()
    return handle
  }

  /** Brings back the agents of a previous run (same name, spec, channels, token). */
  resume(previous: readonly PreviousAgent[]): { resumed: string[]; failed: string[] } {
    const resumed: string[] = []
    const failed: string[] = []
    for (const p of previous) {
      try {
        this.spawn(p.request, p.parent, 'broker_resume', p.taskDeliveryId)
        resumed.push(p.name)
      } catch (err) {
        failed.push(p.name)
        const reason = `could not be resumed: ${(err as Error).message}`
        this.#p.log.error({ agent: p.name, err }, reason)
        this.#p.events.emit({ kind: 'agent_permanently_dead', name: p.name, reason })
      }
    }
    return { resumed, failed }
  }


  /**
   * Takes back an agent of a previous run whose child survived it: same name, channels, token,
   * mailbox, child and CLI process. The child is reached on its adoption socket (already
   * connected: `socket`); it reports its state and the frames it buffered, and the agent's open
   * deliveries are handed to it again (it answers a delivery it already handled with the status
   * it reached, so nothing is typed twice). False when the child refused or did not answer: the
   * caller kills what is left of it and respawns the agent.
   */
  async adopt(p: PreviousAgent, e: PidEntry, socket: Socket): Promise<boolean> {
    let prepared: PreparedSpawn
    try {
      prepared = prepareSpawn(p.request, this.#p.config.cwd, this.#p.config.defaultAgentChannels)
    } catch (err) {
      socket.destroy()
      this.#p.log.warn({ agent: p.name, err }, 'cannot adopt: the recorded spawn request no longer validates')
      return false
    }
    const handle = this.#children.newHandle(p.request, prepared, { marker: e.env_marker, startedAt: e.started_at })
    handle.adoption = { socket_path: e.adopt_socket!, secret: e.adopt_secret!, window_ms: this.#children.adoptWindowMs, journal_path: this.journal.path }
    const sup: Supervised = { req: p.request, parent: p.parent, tracker: new RestartTracker(p.request.restart_policy), restartTimer: null, taskDeliveryId: p.taskDeliveryId }
    sup.tracker.carryOver(p.restarts)
    // Registered before the handshake: the frames the child buffered follow its answer at once.
    this.#sup.set(p.name, sup)
    const entry: AgentEntry = { handle, parent: p.parent, lastActivityAt: Date.now(), idle: false, releasing: false }
    this.#p.agents.set(p.name, entry)
    this.#p.hub.join(p.name, prepared.spec.channels)
    this.journal.put({ ...e, broker_pid: process.pid })
    let state
    try {
      state = await handle.adopt(socket, adoptTargetOf(e))
    } catch (err) {
      this.#p.log.warn({ agent: p.name, pid: e.worker_pid, err: (err as Error).message }, 'adoption failed')
      socket.destroy()
      this.#p.agents.delete(p.name)
      this.#p.hub.leave(p.name)
      this.#sup.delete(p.name)
      this.journal.remove(e.env_marker)
      return false
    }
    if (state.blocked) entry.blockedReason = state.blocked
    if (state.cli_pid !== null && state.cli_pid !== e.cli_pid) this.journal.update(e.env_marker, { cli_pid: state.cli_pid, cli_start_ticks: handle.cliStartTicks })
    const downtimeMs = state.downtime_ms
    this.#p.log.info(
      { agent: p.name, pid: handle.pid, cli_pid: handle.cliPid, downtime_ms: downtimeMs, ready: state.ready, busy: state.busy, buffered: state.buffered_frames, dropped: state.dropped_frames, typed_alone: state.injected_alone.length },
      'agent adopted'
    )
    this.#p.events.emit({ kind: 'agent_adopted', name: p.name, pid: handle.pid ?? 0, cli_pid: handle.cliPid ?? 0, downtime_ms: downtimeMs })
    if (state.ready) this.#p.events.emit({ kind: 'worker_ready', name: p.name, runtime: handle.spec.runtime, provider: handle.spec.provider ?? null, cli: handle.spec.cli, model: handle.spec.model ?? null })
    this.#p.deliveries.onAgentStarted(p.name)
    this.#p.saveState()
    return true
  }

  /** Planned hand-over: every child is left running (and stays in the PID journal) for the next supervisor. */
  detachAll(): void {
    for (const sup of this.#sup.values()) if (sup.restartTimer) clearTimeout(sup.restartTimer)
    for (const entry of this.#p.agents.values()) entry.handle.detach()
  }

  /** The agent's API token (kept across restarts); a bad caller-chosen token is a 400. */
  agentToken(req: SpawnRequest): string {
    return this.#children.token(req)
  }

  /** The initial task, unless an earlier delivery of it is still on its way. */
  #giveTask(name: string, sup: Supervised): void {
    const task = sup.req.task
    if (!task) return
    if (sup.taskDeliveryId && this.#p.deliveries.openFor(name).some((r) => r.delivery_id === sup.taskDeliveryId)) return
    // A PTY task agent is told how to say it is done (task-exit.ts); a headless one ends with its turn.
    const body = sup.req.exit_after_task && sup.req.runtime === 'pty' ? `${task}\n\n${TASK_EXIT_NOTE}` : task
    try {
      const rec = this.#p.deliveries.deliver(name, { event_id: newId('init'), from: 'broker', to: name, body, thread_id: null, priority: 2, injection_mode: 'wait' })
      sup.taskDeliveryId = rec.delivery_id
    } catch (err) {
      // The journal could not take it (disk full): the next start of the agent tries again.
      this.#p.log.error({ agent: name, err: (err as Error).message }, 'initial task could not be recorded; not delivered')
    }
  }

  /** Stops an agent and waits until its process tree is gone. False if there was no such agent. */
  async release(name: string, reason = 'release'): Promise<boolean> {
    const entry = this.#p.agents.get(name)
    if (!entry) return false
    entry.releasing = true
    const sup = this.#sup.get(name)
    if (sup?.restartTimer) {
      // Waiting for a restart: there is no child to stop.
      clearTimeout(sup.restartTimer)
      sup.restartTimer = null
      const last = entry.handle.exitInfo
      this.#finalize(entry, { code: last?.code ?? null, signal: last?.signal ?? null, reason: 'released' }, 'agent_released')
      return true
    }
    await entry.handle.stop(reason)
    return true
  }

  onExit(handle: WorkerHandle, info: ExitInfo): void {
    const entry = this.#p.agents.get(handle.name)
    this.journal.remove(handle.marker)
    if (!entry || entry.handle !== handle) return
    const name = handle.name
    const sup = this.#sup.get(name)
    const requested = entry.releasing || this.#p.shuttingDown() || entry.taskDone === true
    const decision: RestartDecision = sup
      ? sup.tracker.onExit({ code: info.code, signal: info.signal, uptimeMs: info.uptimeMs, wasReady: info.wasReady, requested, now: Date.now() })
      : { action: 'final', reason: 'requested' }
    const crashed = decision.action !== 'final' || decision.reason === 'restart_disabled'
    if (crashed) {
      this.metrics.onCrash(name)
      const outcome = decision.action === 'restart' ? 'restart' : decision.action === 'dead' ? 'permanently_dead' : 'exited'
      this.crashes.record({ agent: name, code: info.code, signal: info.signal, uptimeMs: info.uptimeMs, lastOutput: info.lastOutput, outcome })
    }
    const exitReason = entry.releasing ? 'released' : (info.agentExitReason ?? 'worker_exited')
    this.#p.log.info({ agent: name, code: info.code, signal: info.signal, reason: exitReason, decision }, 'agent child exited')
    if (decision.action === 'restart') {
      this.#p.deliveries.onAgentDown(name, false, 'worker_exited')
      this.#p.events.emit({ kind: 'agent_restarting', name, code: info.code, signal: info.signal, restart_count: decision.restartCount, delay_ms: decision.delayMs })
      // The record is rewritten when the next child starts (nothing in it changes before).
      sup!.restartTimer = setTimeout(() => this.#restart(name), decision.delayMs)
      return
    }
    // A task agent the broker ended because its task was done exits cleanly, whatever signal ended it.
    const status = entry.taskDone && !entry.releasing ? { code: 0, signal: null, reason: 'task_complete' } : { code: info.code, signal: info.signal, reason: exitReason }
    if (decision.action === 'dead') this.#finalize(entry, status, 'worker_permanently_dead', decision.reason)
    else this.#finalize(entry, status, entry.releasing ? 'agent_released' : 'worker_exited')
  }

  /** The agent is gone for good: its record, its mailbox, its membership. */
  #finalize(
    entry: AgentEntry,
    status: { code: number | null; signal: string | null; reason: string },
    downReason: 'agent_released' | 'worker_exited' | 'worker_permanently_dead',
    deadReason?: string
  ): void {
    const name = entry.handle.name
    this.#p.agents.delete(name)
    this.#p.hub.leave(name)
    this.#sup.delete(name)
    this.#p.deliveries.onAgentDown(name, true, downReason)
    this.#p.events.emit({ kind: 'agent_exited', name, code: status.code, signal: status.signal, reason: status.reason })
    if (deadReason !== undefined) {
      this.metrics.onPermanentDeath(name)
      this.#p.log.error({ agent: name, reason: deadReason }, 'agent permanently dead')
      this.#p.events.emit({ kind: 'agent_permanently_dead', name, reason: deadReason })
    } else if (downReason === 'agent_released') {
      this.metrics.onRelease(name)
      this.#p.events.emit({ kind: 'agent_released', name })
    } else {
      this.metrics.onFinalExit(name)
    }
    this.#p.saveState()
  }

  #restart(name: string): void {
    const sup = this.#sup.get(name)
    const entry = this.#p.agents.get(name)
    if (!sup || !entry) return
    sup.restartTimer = null
    if (this.#p.shuttingDown()) return
    const last = entry.handle.exitInfo
    let handle: WorkerHandle
    try {
      const prepared = prepareSpawn({ ...sup.req, channels: [...(this.#p.hub.channelsOf(name) ?? sup.req.channels)] }, this.#p.config.cwd, this.#p.config.defaultAgentChannels)
      handle = this.#children.start(sup.req, prepared)
    } catch (err) {
      const reason = `restart failed: ${(err as Error).message}`
      this.#finalize(entry, { code: last?.code ?? null, signal: last?.signal ?? null, reason: last?.agentExitReason ?? 'worker_exited' }, 'worker_permanently_dead', reason)
      return
    }
    sup.tracker.onRestarted(Date.now())
    this.metrics.onRestart(name)
    entry.handle = handle
    entry.idle = false
    entry.lastActivityAt = Date.now()
    this.#children.init(handle)
    this.#p.log.info({ agent: name, pid: handle.pid, restart_count: sup.tracker.totalRestarts }, 'agent restarted')
    this.#p.events.emit({ kind: 'agent_restarted', name, restart_count: sup.tracker.totalRestarts, pid: handle.pid ?? 0 })
    this.#giveTask(name, sup)
    this.#p.saveState()
  }

  /**
   * Switches a live agent's model (`set_model` to its child); the spec, and so the state record and
   * a respawn, carry the new model. False when the child is not there to take it.
   */
  setModel(name: string, model: string): boolean {
    const entry = this.#p.agents.get(name)
    if (!entry || !entry.handle.send('set_model', { model })) return false
    entry.handle.spec.model = model
    this.#p.saveState()
    return true
  }

  /** The (validated) spawn request a live agent was started with. */
  requestOf(name: string): SpawnRequest | undefined {
    return this.#sup.get(name)?.req
  }

  /** The delivery id of the agent's initial task, if it has one. */
  taskDeliveryOf(name: string): string | null {
    return this.#sup.get(name)?.taskDeliveryId ?? null
  }

  /** Ends a task agent whose task is done (task-exit.ts): a clean, final exit (code 0). */
  async finishTask(name: string): Promise<void> {
    const entry = this.#p.agents.get(name)
    if (!entry || entry.releasing || entry.taskDone) return
    entry.taskDone = true
    const sup = this.#sup.get(name)
    if (sup?.restartTimer) {
      clearTimeout(sup.restartTimer)
      sup.restartTimer = null
      this.#finalize(entry, { code: 0, signal: null, reason: 'task_complete' }, 'worker_exited')
      return
    }
    await entry.handle.stop('task_complete')
  }

  /** Whether `name` is waiting for a restart (its child is gone, a new one is due). */
  restarting(name: string): boolean {
    return this.#sup.get(name)?.restartTimer != null
  }

  /** The `state.json` record of a live agent. */
  stateRecord(name: string, entry: AgentEntry): AgentRecord {
    const h = entry.handle
    const sup = this.#sup.get(name)
    const { agent_token: _token, ...request } = sup?.req ?? ({ name, cli: h.spec.cli ?? '' } as SpawnRequest)
    return {
      runtime: h.spec.runtime,
      parent: entry.parent,
      channels: [...(this.#p.hub.channelsOf(name) ?? h.spec.channels)],
      pid: h.pid,
      cli_pid: h.cliPid,
      started_at: Math.floor(h.startedAt / 1000),
      spec: h.spec,
      restart_policy: sup?.tracker.policy ?? null,
      initial_task: sup?.req.task ?? null,
      request,
      restarts: sup?.tracker.totalRestarts ?? 0,
      task_delivery_id: sup?.taskDeliveryId ?? null
    }
  }

  /** Pending restarts are cancelled (broker shutdown); resolves once journal and insights are on disk. */
  async close(): Promise<void> {
    for (const sup of this.#sup.values()) if (sup.restartTimer) clearTimeout(sup.restartTimer)
    await Promise.all([this.journal.idle(), this.crashes.idle()])
  }

}
