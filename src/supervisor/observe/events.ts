/**
 * The broker's event stream: every event gets a `seq` (unless ephemeral), is serialised to JSON
 * once, kept in a replay ring, and handed to every subscriber (the `/ws` connections).
 */
import { EPHEMERAL_KINDS } from '../../protocol/event-kinds.js'
import type { BrokerEvent, BrokerEventKind } from '../../protocol/events.js'

/** Events kept for `/ws?sinceSeq=` replay. */
export const EVENT_REPLAY_CAPACITY = 1000

export type { BrokerEvent, BrokerEventKind, EventOf } from '../../protocol/events.js'

export interface EmittedEvent {
  readonly seq: number | null
  readonly kind: BrokerEventKind
  /** The event itself, for listeners inside the broker (no need to parse `json`). */
  readonly event: BrokerEvent
  /** The event serialised once, as sent on `/ws`. */
  readonly json: string
}

export type EventListener = (event: EmittedEvent) => void

export interface ReplayResult {
  events: EmittedEvent[]
  /** True when events after `since` have already left the ring. */
  gap: boolean
  oldestAvailable: number | null
  lastSeq: number
}

export class EventBus {
  readonly #capacity: number
  readonly #ring: (EmittedEvent | undefined)[]
  #head = 0
  #size = 0
  #seq = 0
  readonly #listeners = new Set<EventListener>()

  constructor(capacity = EVENT_REPLAY_CAPACITY) {
    this.#capacity = capacity
    this.#ring = new Array<EmittedEvent | undefined>(capacity)
  }

  get lastSeq(): number {
    return this.#seq
  }

  emit(event: BrokerEvent): EmittedEvent {
    let emitted: EmittedEvent
    if (EPHEMERAL_KINDS.has(event.kind)) {
      emitted = { seq: null, kind: event.kind, event, json: JSON.stringify(event) }
    } else {
      const seq = ++this.#seq
      emitted = { seq, kind: event.kind, event, json: JSON.stringify({ ...event, seq }) }
      this.#ring[(this.#head + this.#size) % this.#capacity] = emitted
      if (this.#size < this.#capacity) this.#size++
      else this.#head = (this.#head + 1) % this.#capacity
    }
    for (const listener of this.#listeners) listener(emitted)
    return emitted
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Durable events with seq > since. `gap` is true only when some of them were already evicted
   * (since + 1 < oldest buffered seq): a fresh client asking for `since=0` before anything was
   * evicted gets everything and no gap.
   */
  replay(since: number): ReplayResult {
    const events: EmittedEvent[] = []
    let oldest: number | null = null
    for (let i = 0; i < this.#size; i++) {
      const ev = this.#ring[(this.#head + i) % this.#capacity]!
      if (oldest === null) oldest = ev.seq
      if (ev.seq! > since) events.push(ev)
    }
    const gap = oldest !== null && since + 1 < oldest
    return { events, gap, oldestAvailable: oldest, lastSeq: this.#seq }
  }
}
