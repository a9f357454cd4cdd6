/**
 * Agent lifecycle in the supervisor: spawn, release, exit. Every exit of a child, whatever
 * caused it, arrives through `onExit` (from the runtime's `worker_exit` event).
 */
import { join } from 'node:path'
import { WorkerHandle, type ExitInfo } from './worker-handle.js'
import { childEnv, prepareSpawn, SpawnError, type SpawnRequest } from './agent-spec.js'
import { newId } from './delivery-tracker.js'
import type { BrokerRuntime } from './runtime.js'

export class AgentLifecycle {
  readonly rt: BrokerRuntime

  constructor(rt: BrokerRuntime) {
    this.rt = rt
  }

  spawn(req: SpawnRequest, parent = 'Dashboard'): WorkerHandle {
    if (this.rt.shuttingDown) throw new SpawnError('shutting_down', 'broker is shutting down', 503)
    if (this.rt.agents.has(req.name)) throw new SpawnError('agent_exists', `agent '${req.name}' already exists`, 409)
    const prepared = prepareSpawn(req, this.rt.config.cwd, this.rt.config.defaultAgentChannels)
    const handle = new WorkerHandle({
      spec: prepared.spec,
      argv: prepared.argv,
      cwd: prepared.cwd,
      env: childEnv(req.name, this.rt.url, this.#agentToken(req)),
      logFile: join(this.rt.config.paths.logs, `${req.name}.log`),
      onFrame: (h, frame) => this.rt.dispatch({ type: 'worker_frame', handle: h, frame }),
      onFrameError: (h, error) => this.rt.dispatch({ type: 'worker_frame_error', handle: h, error }),
      onExit: (h, info) => this.rt.dispatch({ type: 'worker_exit', handle: h, info })
    })
    try {
      handle.start()
    } catch (err) {
      throw new SpawnError('spawn_failed', `failed to start worker for '${req.name}': ${(err as Error).message}`, 500)
    }
    this.rt.agents.set(req.name, { handle, parent, lastActivityAt: Date.now(), idle: false, releasing: false })
    this.rt.hub.join(req.name, prepared.spec.channels)
    handle.send('init_worker', { agent: prepared.spec, facts_path: this.rt.messaging.factsPath(req.name) })
    this.rt.messaging.onAgentStarted(req.name)
    this.rt.emit({
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
    this.rt.log.info({ agent: req.name, pid: handle.pid, cli: prepared.executable }, 'agent spawned')
    this.rt.saveState()
    if (req.task) this.rt.messaging.deliver(req.name, { event_id: newId('init'), from: 'broker', to: req.name, body: req.task, thread_id: null, priority: 2, injection_mode: 'wait' })
    return handle
  }

  /** The agent's API token (kept across restarts); a bad caller-chosen token is a 400. */
  #agentToken(req: SpawnRequest): string {
    try {
      return this.rt.agentTokens.issue(req.name, req.agent_token ?? null)
    } catch (err) {
      throw new SpawnError('invalid_agent_token', (err as Error).message, 400)
    }
  }

  /** Stops an agent and waits until its process tree is gone. False if there was no such agent. */
  async release(name: string, reason = 'release'): Promise<boolean> {
    const entry = this.rt.agents.get(name)
    if (!entry) return false
    if (!entry.releasing) {
      entry.releasing = true
      this.rt.emit({ kind: 'agent_exit', name, reason: 'released' })
    }
    await entry.handle.stop(reason)
    return true
  }

  onExit(handle: WorkerHandle, info: ExitInfo): void {
    const entry = this.rt.agents.get(handle.name)
    if (!entry || entry.handle !== handle) return
    this.rt.agents.delete(handle.name)
    this.rt.hub.leave(handle.name)
    const reason = entry.releasing ? 'released' : (info.agentExitReason ?? 'worker_exited')
    this.rt.messaging.onAgentDown(handle.name, true, entry.releasing ? 'agent_released' : 'worker_exited')
    this.rt.log.info({ agent: handle.name, code: info.code, signal: info.signal, reason }, 'agent exited')
    this.rt.emit({ kind: 'agent_exited', name: handle.name, code: info.code, signal: info.signal, reason })
    if (entry.releasing) this.rt.emit({ kind: 'agent_released', name: handle.name })
    this.rt.saveState()
  }
}
