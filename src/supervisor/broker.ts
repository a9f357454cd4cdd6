/**
 * The supervisor as the API, the CLI's `init` and the fleet host see it. runtime.ts implements
 * it; callers import this interface, never the runtime, so the composition root stays a leaf.
 * The members are the supervisor's parts (each a small module with one job) and its commands.
 */
import type { Logger } from 'pino'
import type { Hub } from '../hub/types.js'
import type { BrokerEvent } from '../protocol/events.js'
import type { RuntimeConfig } from './config.js'
import type { EventBus } from './observe/events.js'
import type { LoopMonitor } from './observe/loop-monitor.js'
import type { AgentRegistry } from './agents/registry.js'
import type { AgentLifecycle } from './agents/lifecycle.js'
import type { AgentTokens } from './agents/tokens.js'
import type { TaskExit } from './agents/task-exit.js'
import type { AgentResults } from './agents/results.js'
import type { SpawnRequest } from './agents/spawn-spec.js'
import type { DeliveryTracker } from './delivery/tracker.js'
import type { DeliveryEngine } from './delivery/engine.js'
import type { MessageHistory } from './delivery/history.js'
import type { SendRequest, SendResult } from './delivery/types.js'
import type { JournalHealth, JournalReport } from './delivery/journal.js'
import type { WorkerHandle } from './worker/handle.js'

/** Writing health of the state files (`/api/status`). */
export interface StorageHealth {
  ok: boolean
  state_file: { ok: boolean; last_error: string | null }
  delivery_journal: JournalHealth | null
  journal_replay: JournalReport | null
}

/** A signal or the maintenance tick, handed to the supervisor's loop. */
export type SupervisorSignal = { type: 'tick'; now: number } | { type: 'signal'; signal: NodeJS.Signals }

export interface Broker {
  readonly config: RuntimeConfig
  readonly log: Logger
  readonly startedAt: number
  /** The API's own URL once listening ('' before). */
  readonly url: string
  readonly shuttingDown: boolean
  // ── parts ────────────────────────────────────────────────────────────────
  readonly events: EventBus
  readonly hub: Hub
  readonly agents: AgentRegistry
  readonly lifecycle: AgentLifecycle
  readonly agentTokens: AgentTokens
  readonly deliveries: DeliveryTracker
  /** The delivery engine. */
  readonly messaging: DeliveryEngine
  readonly history: MessageHistory
  readonly tasks: TaskExit
  readonly results: AgentResults
  readonly loop: LoopMonitor
  // ── commands ─────────────────────────────────────────────────────────────
  start(url: string): void
  dispatch(ev: SupervisorSignal): void
  emit(event: BrokerEvent): void
  spawnAgent(req: SpawnRequest, parent?: string): Promise<WorkerHandle>
  releaseAgent(name: string, reason?: string): Promise<boolean>
  send(req: SendRequest): Promise<SendResult>
  renewLease(): void
  onShutdown(fn: () => void): void
  shutdown(reason: string, opts?: { keepAgents?: boolean }): Promise<void>
  saveState(): Promise<void>
  stateWritten(): Promise<void>
  storageHealth(): StorageHealth
}
