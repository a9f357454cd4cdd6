/**
 * What the supervisor needs to know of its events at run time, without building the event
 * catalogue's schemas (events.ts: the tests and `/ws` clients parse with those).
 */

/** Kinds that are broadcast but never numbered or replayed. */
export const EPHEMERAL_KINDS: ReadonlySet<string> = new Set(['worker_stream', 'delivery_active'])

/** The agent an event is about, if it is about one (its `name`). */
export function eventAgent(event: object): string | null {
  return 'name' in event && typeof event.name === 'string' ? event.name : null
}
