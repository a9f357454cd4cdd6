/** The delivery engine's request/result shapes and its typed errors. */

export interface SendRequest {
  to: string
  text: string
  from: string | null
  thread_id: string | null
  mode: 'wait' | 'steer'
  /** P0 (most urgent) … P4; default 2 for a DM, 3 for a channel. */
  priority?: number | null
  /** A repeated send with the same key is accepted once (answered with the first result). */
  idempotency_key?: string | null
}

export interface SendResult {
  event_id: string
  targets: string[]
  deliveries: { name: string; delivery_id: string }[]
  /** True when this answer repeats an earlier send with the same idempotency key. */
  duplicate: boolean
}

export interface Message {
  event_id: string
  from: string
  to: string
  body: string
  thread_id: string | null
  priority: number
  injection_mode: 'wait' | 'steer'
  idempotency_key?: string | null
}

export class NoRecipientError extends Error {
  readonly code = 'agent_not_found'
  readonly to: string
  constructor(to: string) {
    super(to.startsWith('#') ? `Agent "${to}" not found: no agent is subscribed to ${to}` : `Agent "${to}" not found`)
    this.name = 'NoRecipientError'
    this.to = to
  }
}

export class UnknownAgentError extends Error {
  readonly code = 'agent_not_found'
  constructor(name: string) {
    super(`agent_not_found: no worker named '${name}'`)
    this.name = 'UnknownAgentError'
  }
}

export class DeliveryNotFoundError extends Error {
  readonly code = 'delivery_not_found'
  constructor(id: string, why = 'no delivery with this id') {
    super(`delivery_not_found: ${why} ('${id}')`)
    this.name = 'DeliveryNotFoundError'
  }
}
