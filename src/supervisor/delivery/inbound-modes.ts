/**
 * Inbound delivery mode per agent: `auto_inject` hands deliveries to the worker as
 * soon as it can take them; `manual_flush` parks them until a flush. The mode is journaled.
 */
import type { DeliveryRecord } from './tracker.js'
import type { BrokerEvent } from '../observe/events.js'
import type { InboundMode, Mailbox } from './mailbox.js'
import { UnknownAgentError } from './types.js'

/** What the modes need from the delivery engine. */
export interface ModeHost {
  mailbox(name: string): Mailbox
  pump(name: string): void
  emit(event: BrokerEvent): void
  hasAgent(name: string): boolean
  journal(name: string, mode: InboundMode): void
}

export class InboundModes {
  readonly #m: ModeHost

  constructor(host: ModeHost) {
    this.#m = host
  }

  get(name: string): InboundMode {
    this.#requireAgent(name)
    return this.#m.mailbox(name).mode
  }

  /** Sets the mode; leaving manual_flush releases everything parked. Returns how many were released. */
  set(name: string, mode: InboundMode): { previous: InboundMode; flushed: number } {
    this.#requireAgent(name)
    const box = this.#m.mailbox(name)
    const previous = box.mode
    let flushed = 0
    if (previous === 'manual_flush' && mode === 'auto_inject') flushed = box.flush()
    box.mode = mode
    if (previous !== mode) {
      this.#m.journal(name, mode)
      this.#m.emit({ kind: 'agent_inbound_delivery_mode_changed', name, previous_mode: previous, mode })
    }
    if (flushed > 0) this.#m.emit({ kind: 'agent_pending_drained', name, count: flushed, reason: 'delivery_mode_transition' })
    this.#m.pump(name)
    return { previous, flushed }
  }

  pending(name: string): DeliveryRecord[] {
    this.#requireAgent(name)
    return this.#m.mailbox(name).parked()
  }

  flush(name: string): number {
    this.#requireAgent(name)
    const n = this.#m.mailbox(name).flush()
    if (n > 0) this.#m.emit({ kind: 'agent_pending_drained', name, count: n, reason: 'explicit_flush' })
    this.#m.pump(name)
    return n
  }

  #requireAgent(name: string): void {
    if (!this.#m.hasAgent(name)) throw new UnknownAgentError(name)
  }
}
