/**
 * The broker's own errors, by the part that raises them. Each is a thin `BrokerError` whose code
 * (and so its HTTP status) comes from the catalogue; the names stay so that throw sites and
 * `instanceof` checks read as before.
 */
import { basename } from 'node:path'
import { BrokerError } from './broker-error.js'
import type { ErrorCode } from './catalogue.js'

// ── agents and spawning (src/supervisor/agents) ───────────────────────────────

/** The codes a spawn can fail with. */
export type SpawnErrorCode = Extract<
  ErrorCode,
  | 'agent_exists'
  | 'shutting_down'
  | 'spawn_failed'
  | 'spawn_queue_full'
  | 'invalid_name'
  | 'invalid_cwd'
  | 'invalid_cli'
  | 'cli_not_found'
  | 'invalid_agent_token'
  | 'unsafe_state_file'
  | 'unsupported_provider'
  | 'run_as_unsupported'
  | 'unknown_user'
  | 'run_as_not_permitted'
  | 'mcp_wiring_failed'
>

export class SpawnError extends BrokerError {
  constructor(code: SpawnErrorCode, message: string, opts: { retryAfterMs?: number; details?: Record<string, unknown> } = {}) {
    super(code, message, opts)
  }
}

/** Too many spawns wait for a start slot (src/supervisor/agents/spawn-gate.ts). */
export class SpawnQueueFullError extends SpawnError {
  readonly retryAfterSecs: number
  constructor(waiting: number, slots: number, retryAfterSecs: number) {
    super('spawn_queue_full', `${waiting} spawns are already waiting for one of ${slots} start slots; retry in ${retryAfterSecs}s`, {
      retryAfterMs: retryAfterSecs * 1000,
      details: { retry_after_secs: retryAfterSecs }
    })
    this.retryAfterSecs = retryAfterSecs
  }
}

export class CliParseError extends BrokerError {
  declare readonly code: 'invalid_cli'
  constructor(message: string) {
    super('invalid_cli', message)
  }
}

export class AgentTokenError extends BrokerError {
  constructor(message: string) {
    super('invalid_agent_token', message)
  }
}

export class AgentEnvError extends BrokerError {
  constructor(message: string) {
    super('invalid_env', message)
  }
}

export class ResultSchemaError extends BrokerError {
  constructor(message: string) {
    super('invalid_result_schema', message)
  }
}

/** A task agent's result that breaks its schema; `problems` name each broken rule. */
export class ResultRejected extends BrokerError {
  readonly problems: string[]
  constructor(problems: string[]) {
    super('result_schema_mismatch', { problems: problems.join('; ') }, { details: { problems } })
    this.problems = problems
  }
}

/**
 * No running agent has this name. The wording differs by route for compatibility (clients and
 * tests match it): the catalogue's is the default, routes that answered otherwise pass theirs.
 */
export class UnknownAgentError extends BrokerError {
  constructor(name: string, message?: string) {
    super('agent_not_found', message ?? { name }, { details: { name } })
  }
}

// ── deliveries (src/supervisor/delivery) ──────────────────────────────────────

/** A send whose target names no agent (or a channel nobody is subscribed to). */
export class NoRecipientError extends BrokerError {
  readonly to: string
  constructor(to: string) {
    super('agent_not_found', to.startsWith('#') ? `Agent "${to}" not found: no agent is subscribed to ${to}` : `Agent "${to}" not found`, { details: { to } })
    this.to = to
  }
}

export class DeliveryNotFoundError extends BrokerError {
  constructor(id: string, why = 'no delivery with this id') {
    super('delivery_not_found', `delivery_not_found: ${why} ('${id}')`, { details: { id } })
  }
}

/** A redelivery that could type the message a second time. */
export class PossiblyTypedError extends BrokerError {
  readonly deliveryId: string
  constructor(deliveryId: string, message: string) {
    super('possibly_typed', message)
    this.deliveryId = deliveryId
  }
}

// ── state dir (src/supervisor/state) ──────────────────────────────────────────

/** How long a client should wait before retrying a write the disk refused. */
export const STORAGE_RETRY_AFTER_MS = 5_000

/** The state dir cannot take a write: full, over quota, read-only or failing. */
export class StorageUnavailableError extends BrokerError {
  /** The errno code behind it (ENOSPC, EIO…), or `short_write`. */
  readonly cause_code: string
  readonly path: string
  constructor(path: string, causeCode: string, detail: string) {
    super(
      'storage_unavailable',
      `could not write ${basename(path)} (${causeCode}): ${detail}. Free space on the state dir's disk (or fix it) and retry; the broker recovers without a restart`,
      { details: { cause: causeCode }, retryAfterMs: STORAGE_RETRY_AFTER_MS, family: 'A' }
    )
    this.cause_code = causeCode
    this.path = path
  }
}

/** An append failed and the torn part could not be cut off: the file must be repaired first. */
export class TornAppendError extends StorageUnavailableError {
  readonly validBytes: number
  constructor(path: string, validBytes: number, causeCode: string, causeMessage: string) {
    super(path, causeCode, `a partial record could not be cut off (${causeMessage})`)
    this.validBytes = validBytes
  }
}

export class LockHeldError extends BrokerError {
  readonly pid: number
  constructor(root: string, pid: number) {
    super('lock_held', { root, pid })
    this.pid = pid
  }
}

export class BrokerConfigError extends BrokerError {
  constructor(message: string) {
    super('invalid_config', message)
  }
}

// ── adoption (src/supervisor/adoption) ────────────────────────────────────────

/** Why an adoption did not happen (`adopt_refused`, `adopt_timeout`). */
export class AdoptionError extends BrokerError {
  declare readonly code: 'adopt_refused' | 'adopt_timeout'
  constructor(code: Extract<ErrorCode, 'adopt_refused' | 'adopt_timeout'>, message: string) {
    super(code, message)
  }
}

// ── the team hub (src/hub) ────────────────────────────────────────────────────

export class HubUnavailableError extends BrokerError {
  constructor(message: string) {
    super('hub_unavailable', message)
  }
}

export class UnknownNodeError extends BrokerError {
  constructor(node: string) {
    super('node_not_found', { node }, { details: { node } })
  }
}

export class NatsSettingsError extends BrokerError {
  constructor(message: string) {
    super('invalid_nats_settings', message)
  }
}

// ── the headless child (src/headless) ─────────────────────────────────────────

/** `broker headless` was asked for a provider it has none for. */
export class UnknownProviderError extends BrokerError {
  constructor(provider: string, supported: readonly string[]) {
    super('unsupported_provider', `provider '${provider}' does not support headless transport (supported: ${supported.join(', ')})`)
  }
}

/** The provider CLI of a headless agent could not be started. */
export class ProviderSpawnError extends BrokerError {
  constructor(message: string) {
    super('spawn_failed', message)
  }
}
