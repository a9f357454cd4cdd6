/**
 * One interface for headless providers (claude stream-json, opencode run --format json, …):
 * the worker hands it user turns one at a time and maps what it reports to delivery stages.
 * A provider reports only facts it observed — a turn is `accepted` when the provider took it
 * (written to its stdin, or its process started with it), `acknowledged` when the provider's own
 * stream shows the model took it up, `working` while it acts, then `turn_done` or `turn_failed`
 * with the provider's own error. A third provider is one file in providers/.
 */
import type { Logger } from '../protocol/log.js'

export interface Turn {
  /** The delivery id. */
  id: string
  text: string
}

export type ProviderEvent =
  | { kind: 'process_started'; pid: number }
  | { kind: 'accepted'; turn: string }
  | { kind: 'acknowledged'; turn: string }
  | { kind: 'working'; turn: string }
  | { kind: 'stream'; stream: 'stdout' | 'stderr'; eventType: string | null; line: string }
  | { kind: 'turn_done'; turn: string }
  | { kind: 'turn_failed'; turn: string; reason: string }
  /** The long-lived provider process is gone (not asked to stop). */
  | { kind: 'exited'; code: number | null; signal: string | null; reason: string }

export interface ProviderContext {
  /** The provider's executable (resolved by the supervisor). */
  bin: string
  /** Arguments from the spawn: bypass flag, MCP wiring, model, the user's args. */
  args: string[]
  cwd: string
  env: NodeJS.ProcessEnv
  log: Logger
  emit(ev: ProviderEvent): void
}

export interface ProviderSession {
  /** True when one provider process serves every turn (it is started before the first turn). */
  readonly longLived: boolean
  start(): void
  /** Starts a turn; only called when no other turn is running. */
  submit(turn: Turn): void
  /** Stops the provider's whole process tree (TERM, then KILL after `graceMs`); resolves when gone. */
  stop(graceMs: number): Promise<{ code: number | null; signal: string | null }>
}

export interface HeadlessProvider {
  readonly name: string
  create(ctx: ProviderContext): ProviderSession
}

export { ProviderSpawnError } from '../errors/index.js'
