/**
 * Task agents (`spawnMode: "task_exit"` / `exitAfterTask: true`): the agent is ended — cleanly,
 * `agent_exited{code: 0, reason: "task_complete"}` — once its task is done. "Done" per runtime:
 *
 * - headless: the turn that carried the task has ended (the provider's result; the child reports
 *   `agent_idle{reason: "turn_done"}` after a turn whose delivery was verified);
 * - PTY: the agent says so — a final `submit_result`, or `task_done`, through `broker mcp` or the
 *   agent API (`POST /api/agent/result`, `POST /api/agent/done`). A terminal CLI gives no reliable
 *   "finished" signal of its own (it goes quiet while thinking, and between tool calls), so
 *   silence alone never ends it. Either runtime also ends when its CLI exits by itself.
 */
import type { Logger } from 'pino'
import type { EventBus } from '../observe/events.js'
import { eventAgent } from '../../protocol/event-kinds.js'
import type { SpawnRequest } from './spawn-spec.js'

/** What task-exit needs of the runtime (the runtime is one; a narrow view keeps the import one-way). */
export interface TaskExitHost {
  readonly events: EventBus
  readonly agents: ReadonlyMap<string, { handle: { spec: { runtime: string } } }>
  readonly lifecycle: {
    requestOf(name: string): SpawnRequest | undefined
    taskDeliveryOf(name: string): string | null
    finishTask(name: string): Promise<void>
  }
  readonly log: Logger
}

/** Appended to a PTY task agent's task, so it knows how to say it is done. */
export const TASK_EXIT_NOTE =
  'When this task is done, call the relaycast MCP tool submit_result (with your result) or task_done: that ends this session.'

export class TaskExit {
  readonly #rt: TaskExitHost
  /** Headless task agents whose task delivery the provider has taken up. */
  readonly #taskTaken = new Set<string>()

  constructor(rt: TaskExitHost) {
    this.#rt = rt
    rt.events.subscribe(({ event }) => {
      const name = eventAgent(event)
      if (name === null) return
      switch (event.kind) {
        case 'delivery_verified':
          if (this.isTaskAgent(name) && event.delivery_id === rt.lifecycle.taskDeliveryOf(name)) this.#taskTaken.add(name)
          return
        case 'agent_idle':
          if (this.#taskTaken.has(name) && rt.agents.get(name)?.handle.spec.runtime === 'headless') this.complete(name, 'turn_done')
          return
        case 'agent_exited':
          this.#taskTaken.delete(name)
          return
      }
    })
  }

  isTaskAgent(name: string): boolean {
    return this.#rt.lifecycle.requestOf(name)?.exit_after_task === true
  }

  /** Ends a task agent whose task is done; false for an agent that is not a task agent. */
  complete(name: string, how: 'final_result' | 'task_done' | 'turn_done'): boolean {
    if (!this.isTaskAgent(name)) return false
    this.#taskTaken.delete(name)
    this.#rt.log.info({ agent: name, how }, 'task complete: ending the agent')
    void this.#rt.lifecycle.finishTask(name)
    return true
  }
}
