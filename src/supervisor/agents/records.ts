/**
 * The agent records of `state.json`: written by
 * `BrokerRuntime.saveState` from `AgentLifecycle.stateRecord`, read back at start-up to bring
 * the team back (`--persist` / `--state-dir`).
 */
import type { AgentSpec } from '../../protocol/frames.js'
import { spawnRequest, type SpawnRequest } from './spawn-spec.js'
import { readJson } from '../state/files.js'

export interface AgentRecord {
  runtime: 'pty' | 'headless'
  parent: string | null
  channels: string[]
  /** The `broker pty` child; stale while the agent waits for a restart. */
  pid: number | null
  cli_pid: number | null
  /** Unix seconds of the current child's start. */
  started_at: number | null
  spec: AgentSpec
  restart_policy: SpawnRequest['restart_policy']
  initial_task: string | null
  /** The spawn request as accepted (everything a respawn needs: idle threshold, windows, …). */
  request: Omit<SpawnRequest, 'agent_token'>
  restarts: number
  /** Delivery of the initial task, so a respawn does not hand it over twice. */
  task_delivery_id: string | null
}

/** The record of an agent whose child has not started yet (written before it starts). */
export function unstartedRecord(req: SpawnRequest, parent: string, spec: AgentSpec): AgentRecord {
  const { agent_token: _token, ...request } = req
  const base = { runtime: spec.runtime, parent, channels: [...spec.channels], pid: null, cli_pid: null, started_at: null, spec }
  return { ...base, restart_policy: req.restart_policy ?? null, initial_task: req.task ?? null, request, restarts: 0, task_delivery_id: null }
}

export interface PreviousAgent {
  name: string
  parent: string
  request: SpawnRequest
  taskDeliveryId: string | null
  /** Restarts so far (kept by an adopted agent: its child is the same, its history too). */
  restarts: number
}

/** The spawn request that brings a recorded agent back (older records: rebuilt from `spec`). */
export function requestFromRecord(name: string, rec: Partial<AgentRecord>): SpawnRequest | null {
  const channels = Array.isArray(rec.channels) ? rec.channels.filter((c): c is string => typeof c === 'string') : null
  if (rec.request && typeof rec.request === 'object' && typeof rec.request.cli === 'string') {
    return { ...rec.request, name, channels: channels ?? rec.request.channels ?? [] }
  }
  const spec = rec.spec
  if (!spec || typeof spec.cli !== 'string') return null
  return spawnRequest({
    name,
    cli: spec.cli,
    runtime: spec.runtime,
    args: spec.args ?? [],
    channels: channels ?? spec.channels ?? [],
    model: spec.model,
    task: rec.initial_task,
    cwd: spec.cwd,
    team: spec.team,
    shadow_of: spec.shadow_of,
    shadow_mode: spec.shadow_mode,
    verify_window_secs: spec.verify_window_secs,
    restart_policy: spec.restart_policy ?? rec.restart_policy
  })
}

/** Agents recorded by a previous run, in their recorded order. Unreadable records are skipped. */
export function readPreviousAgents(statePath: string): PreviousAgent[] {
  const doc = readJson(statePath) as { agents?: Record<string, Partial<AgentRecord>> } | undefined
  const out: PreviousAgent[] = []
  if (!doc || typeof doc.agents !== 'object' || doc.agents === null) return out
  for (const [name, rec] of Object.entries(doc.agents)) {
    const request = requestFromRecord(name, rec ?? {})
    if (!request) continue
    out.push({
      name,
      parent: typeof rec.parent === 'string' ? rec.parent : 'Dashboard',
      request,
      taskDeliveryId: typeof rec.task_delivery_id === 'string' ? rec.task_delivery_id : null,
      restarts: typeof rec.restarts === 'number' && Number.isInteger(rec.restarts) && rec.restarts >= 0 ? rec.restarts : 0
    })
  }
  return out
}
