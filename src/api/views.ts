/** Wire views of runtime objects. */
import type { Broker } from '../supervisor/broker.js'
import type { AgentEntry } from '../supervisor/agents/registry.js'
import { apiError } from './reply.js'
import { redactedEnv } from '../supervisor/agents/env.js'

export function agentView(rt: Broker, entry: AgentEntry) {
  const h = entry.handle
  const now = Date.now()
  const req = rt.lifecycle.requestOf(h.name)
  return {
    name: h.name,
    runtime: h.spec.runtime,
    provider: h.spec.provider ?? null,
    cli: h.spec.cli,
    model: h.spec.model ?? null,
    team: h.spec.team ?? null,
    channels: [...(rt.hub.channelsOf(h.name) ?? h.spec.channels)],
    parent: entry.parent,
    pid: h.pid,
    cli_pid: h.cliPid,
    state: h.state,
    last_activity_ms: now - entry.lastActivityAt,
    last_activity_at: new Date(entry.lastActivityAt).toISOString(),
    context_budget_pct: null,
    current_state: entry.blockedReason ? 'blocked' : entry.idle ? 'idle' : 'working',
    ...(entry.blockedReason ? { blocked_reason: entry.blockedReason } : {}),
    ...(req?.session_id ? { sessionId: req.session_id } : {}),
    ...(req?.exit_after_task ? { exit_after_task: true } : {}),
    // The agent's own variables; values that look like secrets are not echoed (agent-env.ts).
    ...(req?.env ? { env: redactedEnv(req.env) } : {})
  }
}

/** The agent or a 404 `agent_not_found` with the route's message wording. */
export function requireAgent(rt: Broker, name: string, wording: 'no worker named' | 'unknown worker'): AgentEntry {
  const entry = rt.agents.get(name)
  if (!entry) throw apiError('agent_not_found', `agent_not_found: ${wording} '${name}'`)
  return entry
}
