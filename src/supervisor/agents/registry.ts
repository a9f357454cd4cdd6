/**
 * The supervisor's table of live agents: one entry per name, holding the agent's current child
 * (its handle) and what the supervisor knows of it between frames. Owned by the runtime and
 * handed to the parts that need it (lifecycle, frame table, delivery recipients).
 */
import type { WorkerHandle } from '../worker/handle.js'
import type { Recipients } from '../delivery/ports.js'

export interface AgentEntry {
  handle: WorkerHandle
  parent: string | null
  lastActivityAt: number
  idle: boolean
  /** Set while a release is in progress: the exit that follows is expected. */
  releasing: boolean
  /** Why the CLI cannot take input (login wall), from the child's `worker_blocked`; cleared by `worker_ready`. */
  blockedReason?: string | null
  /** A task agent whose task is done is being ended (task-exit.ts): its exit is clean and final. */
  taskDone?: boolean
}

export type AgentRegistry = Map<string, AgentEntry>

/** The registry as the delivery engine sees it: who is here, and whose worker may take deliveries now. */
export function recipientsOf(agents: AgentRegistry): Recipients {
  return {
    has: (name) => agents.has(name),
    worker: (name) => {
      const entry = agents.get(name)
      if (!entry || entry.releasing) return null
      const state = entry.handle.state
      return state === 'stopping' || state === 'exited' ? null : entry.handle
    },
    injectTimeoutSecs: (name) => agents.get(name)?.handle.spec.inject_timeout_secs
  }
}
