/**
 * Relay deliveries inside the child: dedup, queue, injection (one at a time, only once the
 * CLI is ready) and echo verification.
 *
 *   deliver_relay → delivery_queued → [CLI ready] → type text, pause, Enter, drain
 *     → delivery_injected → (relay line seen on screen) → delivery_ack + delivery_verified
 *                         → (not seen within the window) → delivery_failed{stage:'injected'}
 *
 * The next delivery starts only after the current one is verified or failed, plus
 * INJECT_GAP_MS. `verified` is never reported because time passed.
 */
import type { IMarker } from '@xterm/headless'
import {
  INJECT_ENTER_DELAY_MS,
  INJECT_GAP_MS,
  PTY_WRITE_DRAIN_TIMEOUT_MS,
  STEER_ESC_DELAY_MS,
  VERIFY_PARSE_GRACE_MS
} from '../protocol/constants.js'
import type { PayloadOf, RelayDelivery, WorkerToBrokerFrame, WorkerToBrokerType } from '../protocol/frames.js'
import type { Logger } from '../protocol/log.js'
import { DeliveryQueue, SeenDeliveries, type DeliveryStatusType, type StatusFrame } from './delivery-queue.js'
import { formatInjection, type InjectionProfile, type ReminderEnv } from './inject.js'
import type { Screen } from './screen.js'
import { echoNeedle, echoTimeoutReason, screenShowsNeedle } from './verify.js'
import { sleep, type PtyWriter } from './writer.js'

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
}

interface Queued {
  d: RelayDelivery
  requestId: string | null
}

interface Active extends Queued {
  phase: 'injecting' | 'verifying'
  needle: string
  marker: IMarker | undefined
  deadlineMs: number
  windowMs: number
}

export class Deliveries {
  readonly #o: DeliveriesOptions
  readonly #queue = new DeliveryQueue<Queued>()
  readonly #seen = new SeenDeliveries()
  #active: Active | null = null
  #ready = false
  #closed = false
  #gapTimer: NodeJS.Timeout | null = null
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
    const a = this.#active
    if (!a || a.phase !== 'verifying') return
    if (screenChanged && this.#seenOnScreen(a)) return this.#verified(a)
    if (nowMs < a.deadlineMs) return
    if (this.#o.screen.parsing && nowMs < a.deadlineMs + VERIFY_PARSE_GRACE_MS) return
    if (this.#seenOnScreen(a)) return this.#verified(a)
    this.#fail(a, 'injected', echoTimeoutReason(a.windowMs))
  }

  /**
   * The CLI is gone: one last look at the screen for the delivery in flight, then every
   * delivery not verified fails with `reason`. Nothing is sent after this.
   */
  close(reason: string): void {
    if (this.#closed) return
    const a = this.#active
    if (a && a.phase === 'verifying' && this.#seenOnScreen(a)) this.#verified(a)
    const active = this.#active
    if (active) this.#fail(active, active.phase === 'verifying' ? 'injected' : 'queued', reason)
    for (const q of this.#queue.drain()) this.#fail(q, 'queued', reason)
    this.#closed = true
    if (this.#gapTimer) clearTimeout(this.#gapTimer)
    this.#gapTimer = null
  }

  #stamp(d: RelayDelivery) {
    return { delivery_id: d.delivery_id, event_id: d.event_id, worker_name: this.#o.workerName(), timestamp: Date.now() }
  }

  #status<T extends DeliveryStatusType>(d: RelayDelivery, requestId: string | null, type: T, payload: PayloadOf<WorkerToBrokerFrame, T>): void {
    this.#seen.record(d.delivery_id, { type, payload } as StatusFrame)
    this.#o.send(type, payload as never, requestId)
  }

  #pump(): void {
    if (this.#closed || !this.#ready || this.#active || this.#gapTimer) return
    const next = this.#queue.shift()
    if (!next) return
    const { text, relayLine } = formatInjection(next.d, this.#o.profile, this.#o.workerName(), this.#o.reminderEnv)
    const windowMs = this.#o.verifyWindowMs()
    const active: Active = { ...next, phase: 'injecting', needle: echoNeedle(relayLine), marker: undefined, deadlineMs: 0, windowMs }
    this.#active = active
    this.#inject(active, text).catch((err: unknown) => {
      this.#o.log.error({ err, delivery_id: active.d.delivery_id }, 'injection failed')
      if (this.#active === active) this.#fail(active, 'queued', `injection failed: ${(err as Error).message}`)
    })
  }

  async #inject(a: Active, text: string): Promise<void> {
    const steer = a.d.injection_mode === 'steer'
    const drained = await this.#o.writer.run(async (write) => {
      // Mark the line the cursor is on once all earlier output is parsed: the echo appears at or after it.
      await this.#o.screen.settle()
      a.marker = this.#o.screen.markCursorLine()
      if (steer) {
        write('\x1b\x1b')
        await sleep(STEER_ESC_DELAY_MS)
      }
      write(text)
      await sleep(INJECT_ENTER_DELAY_MS)
      write('\r')
      return this.#o.writer.drain(PTY_WRITE_DRAIN_TIMEOUT_MS)
    })
    if (this.#closed || this.#active !== a) return
    if (!drained) return this.#fail(a, 'queued', 'pty write did not drain')
    this.#status(a.d, a.requestId, 'delivery_injected', this.#stamp(a.d))
    a.phase = 'verifying'
    a.deadlineMs = Date.now() + a.windowMs
    // The echo usually arrives while the text is typed: look once everything so far is parsed,
    // then on every tick that parsed new output.
    await this.#o.screen.settle()
    if (this.#closed || this.#active !== a) return
    if (this.#seenOnScreen(a)) this.#verified(a)
  }

  #seenOnScreen(a: Active): boolean {
    return screenShowsNeedle(this.#o.screen.textFrom(a.marker), a.needle)
  }

  #verified(a: Active): void {
    const ref = { delivery_id: a.d.delivery_id, event_id: a.d.event_id }
    this.#o.send('delivery_ack', ref, a.requestId)
    this.#status(a.d, a.requestId, 'delivery_verified', { ...ref, verification: 'echo' })
    this.#finish(a)
  }

  #fail(q: Queued, stage: 'queued' | 'injected', reason: string): void {
    this.#o.log.warn({ delivery_id: q.d.delivery_id, stage, reason }, 'delivery failed')
    this.#status(q.d, q.requestId, 'delivery_failed', { delivery_id: q.d.delivery_id, event_id: q.d.event_id, reason, stage })
    if (this.#active === q) this.#finish(q as Active)
  }

  #finish(a: Active): void {
    a.marker?.dispose()
    this.#active = null
    if (this.#closed) return
    this.#gapTimer = setTimeout(this.#afterGap, INJECT_GAP_MS)
    this.#gapTimer.unref()
  }
}
