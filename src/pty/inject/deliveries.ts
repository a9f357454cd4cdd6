/**
 * Relay deliveries inside the child: dedup, queue, injection (one at a time, only once the
 * CLI is ready) and echo verification.
 *
 *   deliver_relay → delivery_queued → [CLI ready] → type text, pause, Enter, drain
 *     → delivery_injected → (relay line seen on screen) → delivery_ack + delivery_verified
 *                         → (not seen within the window) → delivery_failed{stage:'injected'}
 *
 * The next delivery starts only after the current one is verified or failed, plus
 * INJECT_GAP_MS (a line typed ahead: the profile's `turnStartMs` only). `verified` is never reported because time passed.
 *
 * Wait mode (the default) types only at an idle point: output quiet for INJECT_IDLE_QUIET_MS and
 * the CLI's profile not showing it busy (where the profile types ahead, a delivery queued behind a
 * verified one needs only the latter). Steer mode interrupts (ESC ESC) and types at once.
 * A delivery whose `deadline_ms` passes before it could be typed fails at stage `queued`
 * (untyped). Before the first byte of a delivery is typed, `injecting` is recorded durably in the
 * agent's facts file; a delivery the facts show as already typed is never typed again.
 *
 * Once the first byte went to node-pty the delivery is typed (or being typed), whatever happens
 * next: it never fails at stage `queued` again; a program that stops reading its terminal gets a
 * deadline of its own (typing.ts).
 *
 * This file holds the queue and the order of events; typing.ts types one delivery, in-flight.ts
 * judges the screen for it.
 */
import type { PayloadOf, RelayDelivery, WorkerToBrokerFrame, WorkerToBrokerType } from '../../protocol/frames.js'
import type { Logger } from '../../protocol/log.js'
import { DeliveryQueue, SeenDeliveries, type DeliveryStatusType, type StatusFrame } from './delivery-queue.js'
import { relayNameProblem } from '../../child/relay-line.js'
import { localeIsUtf8, terminalInput, type TerminalMode } from '../../child/terminal-text.js'
import { formatInjection, type InjectionProfile, type ReminderEnv } from './inject.js'
import type { Screen } from '../screen.js'
import { echoNeedle } from './verify.js'
import { stillInInputBox, type SubmitProfile } from './submit.js'
import { seenOnScreen, slowDrainReason, startActive, windowVerdict, type Active, type Queued } from './in-flight.js'
import { enterAgainIfNotSubmitted, typeDelivery } from './typing.js'
import type { FactsStore } from '../facts.js'
import type { PtyWriter } from '../writer.js'

export type SendFrame = <T extends WorkerToBrokerType>(
  type: T,
  payload: PayloadOf<WorkerToBrokerFrame, T>,
  requestId?: string | null
) => void

export interface DeliveriesOptions {
  send: SendFrame
  writer: PtyWriter
  screen: Screen
  log: Logger
  workerName: () => string
  verifyWindowMs: () => number
  profile: InjectionProfile
  reminderEnv: ReminderEnv
  /** The agent's facts file, once `init_worker` named it. */
  facts: () => FactsStore | null
  /** Epoch ms of the last PTY output. */
  lastOutputAtMs: () => number
  /** The CLI's profile sees it mid-turn (spinner, "esc to interrupt"…). */
  profileBusy: () => boolean
  /** Multi-line text is sent as a bracketed paste. */
  bracketedPaste: () => boolean
  /** The CLI's locale is not UTF-8 (default: read from this process's environment, which the CLI inherits). */
  asciiOnly?: () => boolean
  /** How this CLI takes and submits typed text (submit.ts). */
  submit: SubmitProfile
  /** Sends buffered `worker_stream` output now (the output that proves a delivery goes first). */
  flushOutput: () => void
}

/** Pause between two injections into the same PTY. */
export const INJECT_GAP_MS = 10
/** Wait mode: output must have been quiet this long (and the profile not busy) before typing. */
export const INJECT_IDLE_QUIET_MS = 60

/** Told to a supervisor that re-sends a delivery an earlier worker of this agent already typed. */
export const TYPED_BY_EARLIER_WORKER = 'typed by an earlier worker of this agent, which stopped before the echo was seen; not typed again'

export class Deliveries {
  readonly #o: DeliveriesOptions
  readonly #queue = new DeliveryQueue<Queued>()
  readonly #seen = new SeenDeliveries()
  #active: Active | null = null
  #ready = false
  #closed = false
  #gapTimer: NodeJS.Timeout | null = null
  #idleTimer: NodeJS.Timeout | null = null
  /** The delivery before was verified with the next one already queued, and the profile types ahead. */
  #followOn = false
  readonly #afterIdleWait = (): void => {
    this.#idleTimer = null
    this.#pump()
  }
  readonly #afterGap = (): void => {
    this.#gapTimer = null
    this.#pump()
  }

  constructor(opts: DeliveriesOptions) {
    this.#o = opts
  }

  /** Queued deliveries plus the one in flight. */
  get pending(): number {
    return this.#queue.size + (this.#active ? 1 : 0)
  }

  /** The CLI is ready: injections may start. */
  setReady(): void {
    this.#ready = true
    this.#pump()
  }

  deliver(d: RelayDelivery, requestId: string | null): void {
    if (this.#closed) return
    const last = this.#seen.last(d.delivery_id)
    if (last) {
      // A duplicate: tell the supervisor what already happened instead of typing it twice.
      this.#o.log.debug({ delivery_id: d.delivery_id, status: last.type }, 'duplicate delivery; re-sending its status')
      this.#o.send(last.type, last.payload as never, requestId)
      return
    }
    const badName = relayNameProblem(d)
    if (badName !== null) {
      this.#status(d, requestId, 'delivery_failed', { delivery_id: d.delivery_id, event_id: d.event_id, reason: `invalid_name: ${badName}`, stage: 'queued' })
      return
    }
    const fact = this.#o.facts()?.get(d.delivery_id)
    if (fact === 'verified') {
      const ref = { delivery_id: d.delivery_id, event_id: d.event_id }
      this.#o.send('delivery_ack', ref, requestId)
      this.#status(d, requestId, 'delivery_verified', { ...ref, verification: 'echo' })
      return
    }
    if (fact === 'injecting' || fact === 'failed') {
      this.#status(d, requestId, 'delivery_failed', { delivery_id: d.delivery_id, event_id: d.event_id, reason: TYPED_BY_EARLIER_WORKER, stage: 'injected' })
      return
    }
    if (!this.#queue.push({ d, requestId }, d.priority)) {
      // Not remembered: a later re-send may find room.
      this.#o.send('delivery_failed', { delivery_id: d.delivery_id, event_id: d.event_id, reason: 'queue_full', stage: 'queued' }, requestId)
      return
    }
    this.#status(d, requestId, 'delivery_queued', this.#stamp(d))
    this.#pump()
  }

  /** Checks the in-flight delivery against the screen; `screenChanged` if output was parsed since the last tick. */
  tick(nowMs: number, screenChanged: boolean): void {
    this.#expire(nowMs)
    const a = this.#active
    if (!a) return this.#pump()
    if (a.phase === 'confirming') return this.#confirmSubmitted(a, nowMs)
    if (a.phase !== 'verifying') return
    if (screenChanged && seenOnScreen(a, this.#o.screen)) return this.#verified(a)
    enterAgainIfNotSubmitted(a, nowMs, this.#o)
    if (nowMs < a.deadlineMs) return
    const verdict = windowVerdict(a, nowMs, this.#o.screen, this.#o.profileBusy())
    if (verdict.kind === 'verified') return this.#verified(a)
    if (verdict.kind === 'failed') this.#fail(a, 'injected', verdict.reason)
  }

  /**
   * The CLI is gone: one last look at the screen for the delivery in flight, then every
   * delivery not verified fails with `reason`. Nothing is sent after this.
   */
  close(reason: string): void {
    if (this.#closed) return
    const a = this.#active
    if (a && a.phase === 'verifying' && seenOnScreen(a, this.#o.screen)) this.#verified(a)
    const active = this.#active
    if (active?.phase === 'confirming') this.#finish(active)
    else if (active) this.#fail(active, active.phase === 'verifying' || active.typed ? 'injected' : 'queued', reason)
    for (const q of this.#queue.drain()) this.#fail(q, 'queued', reason)
    this.#closed = true
    if (this.#gapTimer) clearTimeout(this.#gapTimer)
    this.#gapTimer = null
    if (this.#idleTimer) clearTimeout(this.#idleTimer)
    this.#idleTimer = null
  }

  #stamp(d: RelayDelivery) {
    return { delivery_id: d.delivery_id, event_id: d.event_id, worker_name: this.#o.workerName(), timestamp: Date.now() }
  }

  #status<T extends DeliveryStatusType>(d: RelayDelivery, requestId: string | null, type: T, payload: PayloadOf<WorkerToBrokerFrame, T>): void {
    this.#seen.record(d.delivery_id, { type, payload } as StatusFrame)
    this.#o.send(type, payload as never, requestId)
  }

  /** Queued deliveries whose deadline passed fail untyped. */
  #expire(nowMs: number): void {
    if (this.#queue.size === 0) return
    const expired = this.#queue.removeWhere((q) => q.d.deadline_ms != null && q.d.deadline_ms <= nowMs)
    for (const q of expired) {
      const why = this.#ready ? 'the agent stayed busy' : 'the agent never became ready'
      this.#fail(q, 'queued', `not typed before its deadline: ${why}`)
    }
  }

  /**
   * Wait-mode deliveries are typed only at an idle point; a follow-on (typed ahead, see
   * SubmitProfile.typeAhead) needs only the profile not to show the CLI busy.
   */
  #idlePoint(followOn: boolean): boolean {
    if (this.#o.profileBusy()) return false
    return followOn || Date.now() - this.#o.lastOutputAtMs() >= INJECT_IDLE_QUIET_MS
  }

  #pump(): void {
    if (this.#closed || !this.#ready || this.#active || this.#gapTimer) return
    const head = this.#queue.peek()
    // Typing ahead holds only for the delivery queued behind a verified one, never for a later arrival.
    const followOn = this.#followOn && head !== undefined
    this.#followOn = false
    if (!head) return
    if (head.d.injection_mode !== 'steer' && !this.#idlePoint(followOn)) {
      // Look again when the quiet period would be over (or on the next tick, if the CLI is busy).
      if (!this.#idleTimer) {
        const wait = Math.max(1, INJECT_IDLE_QUIET_MS - (Date.now() - this.#o.lastOutputAtMs()))
        this.#idleTimer = setTimeout(this.#afterIdleWait, wait)
        this.#idleTimer.unref()
      }
      return
    }
    const next = this.#queue.shift()
    if (!next) return
    const { text, relayLine } = formatInjection(next.d, this.#o.profile, this.#o.workerName(), this.#o.reminderEnv)
    // Every typed byte goes through the one encoder: a paste or one line, no key but our Enter.
    const mode: TerminalMode = { bracketedPaste: this.#o.bracketedPaste(), asciiOnly: this.#o.asciiOnly?.() ?? !localeIsUtf8(process.env) }
    const input = terminalInput(text, mode)
    const needle = echoNeedle(terminalInput(relayLine, mode).shown)
    const active = startActive(next, needle, input.shown, this.#o.verifyWindowMs())
    this.#active = active
    this.#inject(active, input.bytes).catch((err: unknown) => {
      this.#o.log.error({ err, delivery_id: active.d.delivery_id }, 'injection failed')
      const begun = active.typed ? ' after typing had begun (not typed again)' : ''
      if (this.#active === active) this.#fail(active, active.typed ? 'injected' : 'queued', `injection failed${begun}: ${(err as Error).message}`)
    })
  }

  async #inject(a: Active, bytes: string): Promise<void> {
    const writer = this.#o.writer
    const drained = await typeDelivery(a, bytes, {
      writer,
      screen: this.#o.screen,
      submit: this.#o.submit,
      recordInjecting: () => this.#o.facts()?.record(a.d.delivery_id, 'injecting', true),
      current: () => !this.#closed && this.#active === a,
      onSlowDrain: () => this.#status(a.d, a.requestId, 'delivery_injecting', { ...this.#stamp(a.d), pending_bytes: writer.pendingBytes() })
    })
    if (this.#closed || this.#active !== a) return
    if (!drained) return this.#fail(a, 'injected', slowDrainReason(writer.pendingBytes()))
    this.#status(a.d, a.requestId, 'delivery_injected', this.#stamp(a.d))
    a.phase = 'verifying'
    a.injectedAtMs = Date.now()
    a.deadlineMs = a.injectedAtMs + a.windowMs
    a.nextSubmitCheckMs = Date.now() + this.#o.submit.submitCheckMs
    // The echo usually arrives while the text is typed: look once everything so far is parsed,
    // then on every tick that parsed new output.
    await this.#o.screen.settle()
    if (this.#closed || this.#active !== a) return
    if (seenOnScreen(a, this.#o.screen)) this.#verified(a)
  }

  /**
   * After a verified delivery: the next one waits until the text left the input row (Enter
   * pressed again while it has not, bounded by `maxExtraEnters`).
   */
  #confirmSubmitted(a: Active, nowMs: number): void {
    if (a.submitting || nowMs < a.nextSubmitCheckMs || this.#o.screen.parsing) return
    const pending = stillInInputBox(this.#o.screen, a.typedText)
    if (!pending || a.extraEnters >= this.#o.submit.maxExtraEnters) return this.#finish(a, true)
    enterAgainIfNotSubmitted(a, nowMs, this.#o)
  }

  #verified(a: Active): void {
    const ref = { delivery_id: a.d.delivery_id, event_id: a.d.event_id }
    this.#recordFact(a.d.delivery_id, 'verified', true)
    this.#o.flushOutput()
    this.#o.send('delivery_ack', ref, a.requestId)
    this.#status(a.d, a.requestId, 'delivery_verified', { ...ref, verification: 'echo' })
    if (this.#o.submit.maxExtraEnters > 0 && !this.#closed) {
      a.phase = 'confirming'
      return
    }
    this.#finish(a, true)
  }

  #fail(q: Queued, stage: 'queued' | 'injected', reason: string): void {
    this.#o.log.warn({ delivery_id: q.d.delivery_id, stage, reason }, 'delivery failed')
    if (stage === 'injected') this.#recordFact(q.d.delivery_id, 'failed', false)
    this.#status(q.d, q.requestId, 'delivery_failed', { delivery_id: q.d.delivery_id, event_id: q.d.event_id, reason, stage })
    if (this.#active === q) this.#finish(q as Active)
  }

  /** A fact after typing: if the disk refuses it, the earlier `injecting` still stops a re-type. */
  #recordFact(id: string, fact: 'verified' | 'failed', durable: boolean): void {
    try {
      this.#o.facts()?.record(id, fact, durable)
    } catch (err) {
      this.#o.log.warn({ err, delivery_id: id, fact }, 'could not record a delivery fact')
    }
  }

  #finish(a: Active, verified = false): void {
    a.marker?.dispose()
    this.#active = null
    if (this.#closed) return
    this.#followOn = verified && this.#o.submit.typeAhead && this.#queue.size > 0
    // A line typed ahead needs no pause of ours before it: only the profile's own (turnStartMs).
    const gap = !verified ? INJECT_GAP_MS : this.#followOn ? this.#o.submit.turnStartMs : Math.max(INJECT_GAP_MS, this.#o.submit.turnStartMs)
    this.#gapTimer = setTimeout(this.#afterGap, gap)
    this.#gapTimer.unref()
  }
}
