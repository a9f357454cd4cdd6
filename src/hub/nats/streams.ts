/**
 * The team's two JetStream streams and this node's durable pull consumers on them (2.9 features
 * only: WorkQueue retention, `Nats-Msg-Id` de-duplication, explicit acks).
 *
 * - DELIVER: a delivery for an agent on node N is published to relay.<team>.deliver.<N> with the
 *   delivery id as its message id; N's consumer `deliver_N` takes it, N journals it and only then
 *   acks (an unacked message comes back after DELIVER_ACK_WAIT_MS).
 * - STATUS: the stages a delivery reaches on N go back to the sending node S on
 *   relay.<team>.status.<S>, message id `<delivery id>.<stage>`; S's consumer `status_S` applies them.
 */
import type { Logger } from 'pino'
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream'
import type { TeamNames } from './names.js'

/** How long the server waits for an ack before handing a message out again. */
export const DELIVER_ACK_WAIT_MS = 10_000
/** The window in which a repeated message id is dropped by the server. */
export const STREAM_DUPLICATE_WINDOW_MS = 120_000
/** Messages older than this leave the streams whatever happened to them. */
export const STREAM_MAX_AGE_MS = 7 * 24 * 3600_000
/** How many messages a consumer holds at once. */
export const CONSUME_BATCH_MESSAGES = 64
/** Back-off before a message that could not be taken in is offered again. */
export const NAK_DELAY_MS = 1_000

const ns = (ms: number) => ms * 1_000_000

async function ensureStream(jsm: JetStreamManager, name: string, subjects: string[]): Promise<void> {
  const config = {
    name,
    subjects,
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    duplicate_window: ns(STREAM_DUPLICATE_WINDOW_MS),
    max_age: ns(STREAM_MAX_AGE_MS),
    num_replicas: 1
  }
  try {
    await jsm.streams.info(name)
  } catch {
    try {
      await jsm.streams.add(config)
    } catch (err) {
      // Another broker of the team created it in between.
      await jsm.streams.info(name).catch(() => {
        throw err
      })
    }
  }
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, durable: string, subject: string): Promise<void> {
  try {
    await jsm.consumers.info(stream, durable)
  } catch {
    await jsm.consumers.add(stream, {
      durable_name: durable,
      filter_subject: subject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ns(DELIVER_ACK_WAIT_MS),
      max_deliver: -1
    })
  }
}

/** Creates the team's streams if missing and this node's consumers on them. */
export async function ensureTeamStreams(jsm: JetStreamManager, names: TeamNames, node: string): Promise<void> {
  await ensureStream(jsm, names.deliverStream, [`relay.${names.team}.deliver.*`])
  await ensureStream(jsm, names.statusStream, [`relay.${names.team}.status.*`])
  await ensureConsumer(jsm, names.deliverStream, names.deliverConsumer(node), names.deliverSubject(node))
  await ensureConsumer(jsm, names.statusStream, names.statusConsumer(node), names.statusSubject(node))
}

/**
 * Takes messages from a durable consumer one at a time, in order. `handle` returns true when the
 * message may be acked (it is safely taken in), false to have it offered again later.
 */
export async function consumeDurable(
  js: JetStreamClient,
  stream: string,
  durable: string,
  handle: (m: JsMsg) => boolean,
  log: Logger
): Promise<ConsumerMessages> {
  const consumer = await js.consumers.get(stream, durable)
  const messages = await consumer.consume({ max_messages: CONSUME_BATCH_MESSAGES })
  void (async () => {
    for await (const m of messages) {
      let ok = false
      try {
        ok = handle(m)
      } catch (err) {
        log.warn({ err, stream, seq: m.seq }, 'message not taken in; offered again later')
      }
      if (ok) m.ack()
      else m.nak(NAK_DELAY_MS)
    }
  })()
  return messages
}
