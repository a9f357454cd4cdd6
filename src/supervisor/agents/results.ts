/**
 * Structured results an agent submits (`submit_result` in `broker mcp`, `POST /api/agent/result`):
 * checked against the agent's `agentResultSchema` when it has one, then emitted as
 * `agent_result{name, result_id, data, final, metadata?}` (what a 9.x `waitForResult` reads).
 * A final result ends a task agent (task-exit.ts).
 */
import type * as z from 'zod'
import { newId } from '../delivery/tracker.js'
import { checkResult, compileResultSchema, type JsonSchema } from './result-schema.js'
import type { Logger } from 'pino'
import type { SpawnRequest } from './spawn-spec.js'
import type { BrokerEvent } from '../observe/events.js'
import { ResultRejected } from '../../errors/index.js'
export { ResultRejected } from '../../errors/index.js'

/** What results need of the runtime (a narrow view keeps the import one-way). */
export interface ResultsHost {
  readonly lifecycle: { requestOf(name: string): SpawnRequest | undefined }
  readonly tasks: { complete(name: string, how: 'final_result'): boolean }
  readonly log: Logger
  emit(event: BrokerEvent): void
}

export interface ResultSubmission {
  data: unknown
  final: boolean
  metadata?: unknown
}

export class AgentResults {
  readonly #rt: ResultsHost
  /** Compiled schemas by agent, with the source they were compiled from. */
  readonly #compiled = new Map<string, { source: JsonSchema; schema: z.ZodType }>()

  constructor(rt: ResultsHost) {
    this.#rt = rt
  }

  /** The agent's result schema (JSON Schema), or null when it was spawned without one. */
  schemaOf(name: string): JsonSchema | null {
    return this.#rt.lifecycle.requestOf(name)?.result_schema ?? null
  }

  /** Validates and emits; throws ResultRejected on a mismatch. */
  submit(name: string, sub: ResultSubmission): { result_id: string; final: boolean; task_complete: boolean } {
    const source = this.schemaOf(name)
    if (source !== null) {
      let c = this.#compiled.get(name)
      if (!c || c.source !== source) {
        c = { source, schema: compileResultSchema(source) }
        this.#compiled.set(name, c)
      }
      const check = checkResult(c.schema, sub.data)
      if (!check.ok) throw new ResultRejected(check.problems)
    }
    const result_id = newId('res')
    this.#rt.emit({
      kind: 'agent_result',
      name,
      result_id,
      data: sub.data,
      final: sub.final,
      ...(sub.metadata !== undefined ? { metadata: sub.metadata } : {})
    })
    this.#rt.log.info({ agent: name, result_id, final: sub.final }, 'agent result')
    const task_complete = sub.final && this.#rt.tasks.complete(name, 'final_result')
    return { result_id, final: sub.final, task_complete }
  }

  forget(name: string): void {
    this.#compiled.delete(name)
  }
}
