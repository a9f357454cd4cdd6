/**
 * The delivery engine. A message becomes one delivery per recipient; each is journaled
 * (fsync'd) before `/api/send` answers, waits in the recipient's mailbox, is handed to the
 * recipient's worker a few at a time, and is moved through its stages by the worker's frames
 * until it ends `verified`, `failed` or `dead_lettered` — across worker crashes (the agent's
 * facts file says what an earlier worker typed) and supervisor crashes (the journal).
 */
import { join } from 'node:path'
import { ensurePrivateDir } from '../state/paths.js'
import type { WorkerToBrokerFrame } from '../../protocol/frames.js'
import { newId, wasTyped, type DeliveryRecord, type DeliveryStage } from './tracker.js'
import { DeliveryJournal, type JournalHealth, type JournalReport } from './journal.js'
import { StorageUnavailableError } from '../state/durable.js'
import { DedupCache } from './dedup-cache.js'
import { Sender } from './send.js'
import { replayInto } from './journal-replay.js'
import { redeliverDeadLetter } from './redeliver.js'
import { readFacts } from '../state/facts-reader.js'
import { Mailbox, evictionReason, type InboundMode } from './mailbox.js'
import type { BrokerEvent } from '../../protocol/events.js'
import type { RemoteTarget } from '../../hub/types.js'
import type { DeliveryPorts } from './ports.js'
import { DeliveryNotFoundError, NoRecipientError, PossiblyTypedError, UnknownAgentError, type RedeliverResult, normalizeSender, type Message, type SendRequest, type SendResult } from './types.js'
import { InboundModes } from './inbound-modes.js'

/** Default time a delivery may wait (agent not ready, busy, down) before it is dead-lettered untyped. */
export const DELIVERY_INJECT_TIMEOUT_MS = 120_000

/** Deliveries handed to one child at a time; the rest wait, in priority order, in the supervisor. */
export const DELIVERY_INFLIGHT_PER_AGENT = 2

/** A delivery handed to workers this many times without being typed is dead-lettered. */
export const DELIVERY_MAX_ATTEMPTS = 10

export { DeliveryNotFoundError, NoRecipientError, PossiblyTypedError, UnknownAgentError, type Message, type RedeliverResult, type SendRequest, type SendResult }

/** Why a delivery that a stopped worker may have typed ends `failed`, not re-typed. */
export const TYPED_NOT_VERIFIED = 'typed, but the agent stopped before the echo was seen on its screen'

export class DeliveryEngine {
  readonly ports: DeliveryPorts
  readonly mailboxes = new Map<string, Mailbox>()
  readonly #dedup = new DedupCache<SendResult>()
  readonly #sender = new Sender(this, this.#dedup)
  readonly #factsDir: string
  /** Open once `restore` ran; null in an engine that never restored (unit tests without a state dir). */
  journal: DeliveryJournal | null = null
  /** Per-agent inbound delivery mode (auto_inject / manual_flush) and its parked messages. */
  readonly modes: InboundModes
  /** What the start-up replay of the journal could not use (`/api/status`). */
  journalReport: JournalReport | null = null

  constructor(ports: DeliveryPorts) {
    this.ports = ports
    this.#factsDir = join(ports.stateDir, 'facts')
    const host = { mailbox: (n: string) => this.mailbox(n), pump: (n: string) => this.pump(n), emit: (e: BrokerEvent) => ports.emit(e), hasAgent: (n: string) => ports.recipients.has(n) }
    this.modes = new InboundModes({ ...host, journal: (name, mode) => this.journal?.mode(name, mode) })
  }

  /** Reads the journal of an earlier run (if any) and opens it for this one. */
  restore(): void {
    ensurePrivateDir(this.#factsDir)
    const path = join(this.ports.stateDir, 'deliveries.jsonl')
    const { state, open } = replayInto(this.ports, path, this.#dedup, (agent) => this.mailbox(agent))
    this.journal = new DeliveryJournal(path, { validBytes: state.validBytes })
    if (this.journal.worthCompactingAtStart) this.#compactJournal()
    this.journalReport = state.report
    if (state.records.size > 0) this.ports.log.info({ restored: state.records.size, open }, 'delivery journal replayed')
  }

  /** Whether the journal can currently write (`/api/status`). */
  get journalHealth(): JournalHealth | null {
    return this.journal?.health ?? null
  }

  factsPath(agent: string): string {
    return join(this.#factsDir, `${agent}.log`)
  }

  mailbox(agent: string): Mailbox {
    let m = this.mailboxes.get(agent)
    if (!m) this.mailboxes.set(agent, (m = new Mailbox()))
    return m
  }

  // ── accepting ────────────────────────────────────────────────────────────

  /** `/api/send`: one journaled delivery per recipient, answered once they are on disk (send.ts). */
  send(req: SendRequest): Promise<SendResult> {
    return this.#sender.send(req)
  }

  /** A broker-originated message (initial task, notices) to one agent. */
  deliver(agent: string, msg: Message): DeliveryRecord {
    const [rec] = this.accept([agent], msg)
    this.pump(agent)
    return rec!
  }

  /** Journals one delivery per target (all or none, fdatasync'd on the loop), then admits the local ones. */
  accept(targets: readonly string[], msg: Message, remote: ReadonlyMap<string, RemoteTarget> = new Map()): DeliveryRecord[] {
    const recs = this.#create(targets, msg, remote)
    try {
      this.journal?.created(recs) // on disk before anyone is told
    } catch (err) {
      this.#discard(recs)
      throw err
    }
    this.#admitAll(recs)
    return recs
  }

  /** `accept` for `/api/send`: the fdatasync runs off the loop, shared with the sends of the same moment (journal.ts). */
  async acceptDurably(targets: readonly string[], msg: Message, remote: ReadonlyMap<string, RemoteTarget>): Promise<DeliveryRecord[]> {
    const recs = this.#create(targets, msg, remote)
    try {
      await this.journal?.createdDurably(recs) // on disk before anyone is told
    } catch (err) {
      this.#discard(recs)
      throw err
    }
    this.#admitAll(recs.filter((r) => r.stage === 'accepted')) // not one that ended meanwhile (its agent left)
    return recs
  }

  /** Not durable, so not accepted: nothing of it stays behind. */
  #discard(recs: readonly DeliveryRecord[]): void {
    for (const rec of recs) this.ports.deliveries.discard(rec.delivery_id)
  }

  #create(targets: readonly string[], msg: Message, remote: ReadonlyMap<string, RemoteTarget>): DeliveryRecord[] {
    const now = Date.now()
    return targets.map((agent) => {
      const far = remote.get(agent)
      const timeoutSecs = this.ports.recipients.injectTimeoutSecs(agent) ?? far?.inject_timeout_secs
      return this.ports.deliveries.create({
        ...msg,
        idempotency_key: msg.idempotency_key ?? null,
        agent,
        deadline_ms: now + (timeoutSecs ? timeoutSecs * 1000 : DELIVERY_INJECT_TIMEOUT_MS),
        ...(far !== undefined ? { node: far.node } : {})
      })
    })
  }

  #admitAll(recs: readonly DeliveryRecord[]): void {
    for (const rec of recs) {
      if (rec.node === undefined) this.admit(rec)
      else this.ports.emit({ kind: 'delivery_accepted', name: rec.agent, delivery_id: rec.delivery_id, event_id: rec.event_id, from: rec.from, to: rec.to, priority: rec.priority, node: rec.node })
    }
  }

  /** A journaled delivery for a local agent goes into its mailbox. */
  admit(rec: DeliveryRecord): void {
    const ref = { name: rec.agent, delivery_id: rec.delivery_id, event_id: rec.event_id }
    this.ports.emit({ kind: 'delivery_accepted', ...ref, from: rec.from, to: rec.to, priority: rec.priority })
    const box = this.mailbox(rec.agent)
    const evicted = box.enqueue(rec)
    if (box.mode === 'manual_flush' && evicted !== rec) {
      this.ports.emit({ kind: 'delivery_queued', name: rec.agent, delivery_id: rec.delivery_id, event_id: rec.event_id, from: rec.from, target: rec.to, reason: 'inbound_delivery_manual_flush' })
    }
    if (evicted) {
      this.ports.emit({ kind: 'delivery_dropped', name: evicted.agent, count: 1, reason: 'mailbox_full', delivery_id: evicted.delivery_id })
      this.deadLetter(evicted, evictionReason(evicted, rec, box.cap))
    }
  }

  // ── handing deliveries to workers ───────────────────────────────────────

  /** Hands waiting deliveries to the agent's worker while its in-flight window has room. */
  pump(agent: string): void {
    const box = this.mailboxes.get(agent)
    const worker = box ? this.ports.recipients.worker(agent) : null
    if (!box || !worker) return
    const room = DELIVERY_INFLIGHT_PER_AGENT - box.inflightCount
    if (room <= 0) return
    for (const rec of box.take(room)) {
      if (rec.attempts >= DELIVERY_MAX_ATTEMPTS) {
        box.remove(rec.delivery_id)
        this.deadLetter(rec, `not typed after ${rec.attempts} attempts`) // a typed one ends failed instead
        continue
      }
      rec.attempts++
      this.journal?.attempt(rec.delivery_id, rec.attempts)
      if (rec.attempts > 1) this.ports.emit({ kind: 'delivery_retry', name: agent, delivery_id: rec.delivery_id, event_id: rec.event_id, attempts: rec.attempts })
      const sent = worker.send('deliver_relay', {
        delivery_id: rec.delivery_id,
        event_id: rec.event_id,
        workspace_id: 'local',
        workspace_alias: null,
        from: rec.from,
        target: rec.to,
        body: rec.body,
        thread_id: rec.thread_id,
        priority: rec.priority,
        injection_mode: rec.injection_mode,
        deadline_ms: rec.deadline_ms
      })
      if (!sent) box.requeue(rec)
    }
  }

  /** The delivery frames of `name`'s worker (the frame table, worker/frame-table.ts, hands them here). */
  onDeliveryFrame(name: string, frame: WorkerToBrokerFrame): void {
    switch (frame.type) {
      case 'delivery_queued':
      case 'delivery_injected': {
        const rec = this.advance(frame.payload.delivery_id, frame.type === 'delivery_queued' ? 'queued' : 'injected', name)
        if (rec) this.ports.emit({ kind: frame.type, name, delivery_id: rec.delivery_id, event_id: rec.event_id, timestamp: frame.payload.timestamp })
        return
      }
      case 'delivery_injecting': {
        const rec = this.advance(frame.payload.delivery_id, 'injecting', name, `the program is not reading its terminal yet: ${frame.payload.pending_bytes} bytes waiting`)
        if (rec) this.ports.emit({ kind: 'delivery_injecting', name, delivery_id: rec.delivery_id, event_id: rec.event_id, pending_bytes: frame.payload.pending_bytes, timestamp: frame.payload.timestamp })
        return
      }
      case 'delivery_verified':
        this.verified(frame.payload.delivery_id, name, frame.payload.verification)
        return
      case 'delivery_failed': {
        const rec = this.ports.deliveries.get(frame.payload.delivery_id)
        if (!rec || rec.agent !== name) return
        if (frame.payload.stage === 'injected' || wasTyped(rec)) this.fail(rec.delivery_id, frame.payload.reason)
        else if (rec.deadline_ms <= Date.now()) {
          this.mailbox(name).remove(rec.delivery_id)
          this.deadLetter(rec, frame.payload.reason)
        } else {
          // Not typed (the worker is closing, or could not write): it goes back to the mailbox.
          this.mailbox(name).requeue(rec)
        }
        return
      }
      default:
        return
    }
  }

  /**
   * `verification` says how it was proven: `echo` (seen on the agent's screen) or `provider` (the
   * headless model took the turn up). Either way the agent has read it: `delivery_read_ack{marked}`.
   */
  verified(id: string, name: string, verification: 'echo' | 'provider'): void {
    const rec = this.advance(id, 'verified', name)
    if (!rec) return
    const ref = { name, delivery_id: rec.delivery_id, event_id: rec.event_id }
    this.ports.emit({ kind: 'delivery_ack', ...ref, timestamp: Date.now() })
    this.ports.emit({ kind: 'message_delivery_confirmed', ...ref, from: rec.from, to: rec.to })
    this.ports.emit({ kind: 'delivery_verified', ...ref, verification })
    this.ports.emit({ kind: 'delivery_read_ack', ...ref, status: 'marked' })
  }

  /** A delivery that was (or may have been) typed and not verified ends here. */
  fail(id: string, reason: string): void {
    const rec = this.advance(id, 'failed', null, reason)
    if (!rec) return
    this.ports.emit({ kind: 'delivery_failed', name: rec.agent, delivery_id: rec.delivery_id, event_id: rec.event_id, reason })
    this.ports.emit({ kind: 'message_delivery_failed', name: rec.agent, delivery_id: rec.delivery_id, event_id: rec.event_id, from: rec.from, to: rec.to, attempts: rec.attempts, lastError: reason })
  }

  /**
   * A delivery that was never typed and cannot be now: kept as a dead letter, redeliverable.
   * One the supervisor heard was (being) typed is never called "not typed": it fails instead.
   */
  deadLetter(rec: DeliveryRecord, reason: string): void {
    if (wasTyped(rec)) return this.fail(rec.delivery_id, `${TYPED_NOT_VERIFIED} (${reason})`)
    if (!this.advance(rec.delivery_id, 'dead_lettered', null, reason)) return
    this.ports.emit({ kind: 'delivery_dead_lettered', name: rec.agent, delivery_id: rec.delivery_id, event_id: rec.event_id, reason })
    this.ports.emit({ kind: 'message_delivery_failed', name: rec.agent, delivery_id: rec.delivery_id, event_id: rec.event_id, from: rec.from, to: rec.to, attempts: rec.attempts, lastError: reason })
    this.#tellSender(rec, reason)
  }

  /** Sends a dead letter again (redeliver.ts): a typed one only with `force`. */
  redeliver(id: string, force = false): RedeliverResult {
    return redeliverDeadLetter(this, id, force)
  }

  /** Moves a delivery to `stage` (journal, hub report, mailbox); null when it is unknown, not `agent`'s, or already past it. */
  advance(id: string, stage: DeliveryStage, agent: string | null, reason?: string): DeliveryRecord | null {
    const existing = this.ports.deliveries.get(id)
    if (!existing || (agent !== null && existing.agent !== agent)) return null
    const at = Date.now()
    const rec = this.ports.deliveries.advance(id, stage, reason, at)
    if (!rec) return null
    this.journal?.stage(id, stage, at, reason)
    if (rec.origin !== undefined && stage !== 'accepted') {
      this.ports.hub.reportStage(rec.origin, { delivery_id: id, stage, reason: reason ?? null, at, node: this.ports.hub.node })
    }
    if (stage === 'verified' || stage === 'failed' || stage === 'dead_lettered') {
      this.mailboxes.get(rec.agent)?.remove(id)
      this.pump(rec.agent)
    }
    return rec
  }

  /** An agent that sent a message which could not be delivered hears about it. */
  #tellSender(rec: DeliveryRecord, reason: string): void {
    if (rec.from === 'broker' || !this.ports.recipients.has(rec.from) || rec.from === rec.agent) return
    const body = `Your message ${rec.event_id} to ${rec.agent} was not delivered (${reason}). Delivery id: ${rec.delivery_id}.`
    try {
      this.deliver(rec.from, { event_id: newId('notice'), from: 'broker', to: rec.from, body, thread_id: rec.thread_id, priority: 1, injection_mode: 'wait' })
    } catch (err) {
      if (!(err instanceof StorageUnavailableError)) throw err
      this.ports.log.warn({ agent: rec.from, delivery_id: rec.delivery_id, err: err.message }, 'could not tell the sender about an undelivered message: storage unavailable')
    }
  }

  // ── agents coming and going ──────────────────────────────────────────────

  /** A worker for `name` is up (first start or a restart): hand it its deliveries. */
  onAgentStarted(name: string): void {
    this.pump(name)
  }

  /**
   * The worker for `name` is gone. Deliveries it held go back to the mailbox (its successor
   * asks the facts file before typing anything). `final` (released, permanently dead): every
   * open delivery of the agent ends now — verified or failed if the facts say it was typed,
   * dead-lettered with `reason` if not.
   */
  onAgentDown(name: string, final: boolean, reason: string): void {
    const box = this.mailboxes.get(name)
    for (const rec of this.ports.deliveries.openFor(name)) {
      if (box?.isInflight(rec.delivery_id)) box.requeue(rec)
    }
    if (!final) return
    this.#settle(name, reason)
    this.mailboxes.delete(name)
  }

  /** After start-up: deliveries of a previous run whose agent did not come back end now. */
  onStartupComplete(): void {
    const gone = new Set<string>()
    for (const rec of this.ports.deliveries.openRecords()) if (rec.node === undefined && !this.ports.recipients.has(rec.agent)) gone.add(rec.agent)
    for (const name of gone) {
      this.#settle(name, 'recipient gone: the agent was not running after the broker restarted')
      this.mailboxes.delete(name)
    }
  }

  #settle(name: string, reason: string): void {
    const facts = readFacts(this.factsPath(name))
    const open = this.ports.deliveries.openFor(name)
    // The original's summary event for a departing agent, then one outcome per delivery.
    if (open.length > 0) this.ports.emit({ kind: 'delivery_dropped', name, count: open.length, reason })
    for (const rec of open) {
      const fact = facts.get(rec.delivery_id)
      if (fact === 'verified') this.verified(rec.delivery_id, name, 'echo') // the child's facts file: seen on screen
      else if (fact === 'injecting' || fact === 'failed' || wasTyped(rec)) this.fail(rec.delivery_id, `${TYPED_NOT_VERIFIED} (${reason})`)
      else this.deadLetter(rec, reason)
    }
  }

  // ── maintenance ──────────────────────────────────────────────────────────

  tick(nowMs: number): void {
    for (const [name, box] of this.mailboxes) {
      for (const rec of box.expire(nowMs)) this.deadLetter(rec, `not typed within ${Math.round((rec.deadline_ms - rec.created_at) / 1000)}s: agent down, not ready or busy`)
      if (box.waitingCount > 0 && box.inflightCount < DELIVERY_INFLIGHT_PER_AGENT) this.pump(name)
    }
    this.#dedup.purge(nowMs)
    this.journal?.flush() // the fdatasync off the loop
    if (this.journal?.needsCompaction && !this.journal.compacting) this.#compactJournal()
  }

  /** In the offload pool; the journal keeps taking lines meanwhile. */
  #compactJournal(): void {
    if (!this.ports.offload) return
    this.journal?.compactInPool(this.ports.offload, this.ports.deliveries.retained(), this.#modes()).catch((err: unknown) => this.ports.log.warn({ err }, 'journal compaction failed; the journal stays as it was'))
  }

  close(): void {
    this.journal?.close()
  }

  normalizeSender(from: string | null): string {
    return normalizeSender(from, this.ports.brokerName)
  }

  #modes(): Map<string, string> {
    const out = new Map<string, string>()
    for (const [name, box] of this.mailboxes) if (box.mode !== 'auto_inject') out.set(name, box.mode)
    return out
  }
}
