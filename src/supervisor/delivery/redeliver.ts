/**
 * Redelivering a dead letter: sent again as a new delivery to the same agent. A dead letter
 * that the agent's facts file (or its own history) says was typed, in part or whole, is sent
 * again only with `force`, and the answer says so (`forced`, `warning`).
 */
import { wasTyped, type DeliveryRecord, type DeliveryTracker } from './tracker.js'
import { readFacts } from '../state/facts-reader.js'
import { DeliveryNotFoundError, PossiblyTypedError, UnknownAgentError, type Message, type RedeliverResult } from './types.js'

/** What a redelivery needs from the delivery engine (Messaging). */
export interface RedeliverHost {
  ports: { deliveries: Pick<DeliveryTracker, 'get'>; recipients: { has(name: string): boolean } }
  factsPath(agent: string): string
  deliver(agent: string, msg: Message): DeliveryRecord
}

export function redeliverDeadLetter(m: RedeliverHost, id: string, force: boolean): RedeliverResult {
  const old = m.ports.deliveries.get(id)
  if (!old || old.stage !== 'dead_lettered') throw new DeliveryNotFoundError(id, 'no dead letter with this id')
  if (!m.ports.recipients.has(old.agent)) throw new UnknownAgentError(old.agent)
  const fact = readFacts(m.factsPath(old.agent)).get(id)
  const typed = fact === 'injecting' || fact === 'verified' || fact === 'failed' || wasTyped(old)
  const warning = typed ? `delivery ${id} was already typed into ${old.agent}'s terminal (in part or whole; facts: ${fact ?? old.stage}): sending it again types it again` : null
  if (warning && !force) throw new PossiblyTypedError(id, `${warning}; pass {"force": true} to send it anyway`)
  const rec = m.deliver(old.agent, { event_id: old.event_id, from: old.from, to: old.to, body: old.body, thread_id: old.thread_id, priority: old.priority, injection_mode: old.injection_mode })
  old.redelivered_as = rec.delivery_id
  return { record: rec, forced: warning !== null, warning }
}
