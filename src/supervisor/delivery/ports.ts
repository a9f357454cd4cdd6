/** What the delivery engine needs from the rest of the supervisor: runtime.ts wires real parts, unit tests fakes. */
import type { Logger } from 'pino'
import type { BrokerToWorkerFrame } from '../../protocol/frames.js'
import type { BrokerEvent } from '../../protocol/events.js'
import type { Hub } from '../../hub/types.js'
import type { OffloadPool } from '../../offload/pool.js'
import type { DeliveryTracker } from './tracker.js'

export type DeliverRelayPayload = Extract<BrokerToWorkerFrame, { type: 'deliver_relay' }>['payload']

/** The worker of a recipient, as the engine sees it: something that takes `deliver_relay` frames. */
export interface DeliveryWorker {
  /** False when the frame could not be handed over (the child is not reading): the delivery waits. */
  send(type: 'deliver_relay', payload: DeliverRelayPayload): boolean
}

/** The agents on this node, as the engine sees them. */
export interface Recipients {
  has(name: string): boolean
  /** The worker that may take deliveries for `name` now; null while it is down, released or stopping. */
  worker(name: string): DeliveryWorker | null
  /** The agent's own typing deadline (`inject_timeout_secs`), if it set one. */
  injectTimeoutSecs(name: string): number | null | undefined
}

export interface DeliveryPorts {
  readonly brokerName: string
  /** The state dir: the journal (`deliveries.jsonl`) and the agents' facts files (`facts/`) live here. */
  readonly stateDir: string
  readonly deliveries: DeliveryTracker
  readonly hub: Pick<Hub, 'route' | 'available' | 'forward' | 'node' | 'reportStage'>
  readonly recipients: Recipients
  readonly log: Pick<Logger, 'info' | 'warn'>
  /** Worker threads for journal compaction; absent: the journal is never compacted (unit tests). */
  readonly offload?: OffloadPool
  emit(event: BrokerEvent): void
}
