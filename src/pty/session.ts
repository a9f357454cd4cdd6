/**
 * The parts wired around one running CLI in the PTY child: the ordered writer, the screen model,
 * the stream batcher, deliveries, readiness, auto-answers and idle detection, and the tick that
 * moves them. The worker (worker.ts) owns the process around it: frames, shutdown, exit.
 */
import type { IPty } from 'node-pty'
import { LAST_OUTPUT_CHARS } from '../child/exit.js'
import type { Logger } from '../protocol/log.js'
import { handleControlFrame, type ControlFrame, type TerminalParts } from './control.js'
import type { FactsStore } from './facts.js'
import { IdleDetector } from './idle.js'
import { Deliveries, type SendFrame } from './inject/deliveries.js'
import { reminderEnvFrom, type InjectionProfile } from './inject/inject.js'
import { GENERIC_SUBMIT } from './inject/submit.js'
import type { CliProfile } from './profiles/index.js'
import type { AutoAnswerer } from './ready/auto-answer.js'
import { ptyAutoAnswerer } from './ready/auto-answer-pty.js'
import { PTY_TICK_MS, ReadinessTracker, type ReadyReason } from './ready/readiness.js'
import { Screen } from './screen.js'
import { StreamBatcher } from './stream.js'
import { PtyWriter, sleep } from './writer.js'

/** Parsed output triggers an early tick (verification, readiness) at most this often. */
export const PARSED_TICK_MIN_INTERVAL_MS = 10
/** Idle is re-checked this often. */
export const IDLE_CHECK_MS = 1_000
/** At the CLI's exit: longest wait for the screen to parse the last output (for the exit report). */
export const SCREEN_SETTLE_AT_EXIT_MS = 1_000

export interface CliSessionOptions {
  pty: IPty
  rows: number
  cols: number
  profile: CliProfile
  /** The profile's injection choices, as this spawn adjusted them. */
  injection: InjectionProfile
  idleThresholdMs: number
  log: Logger
  send: SendFrame
  workerName: () => string
  verifyWindowMs: () => number
  facts: () => FactsStore | null
  /** The CLI looks ready (first time). */
  onReady(reason: ReadyReason): void
  /** The CLI shows a wall it will not pass by itself (login…); once per distinct reason. */
  onBlocked(reason: string): void
}

export class CliSession {
  readonly pty: IPty
  readonly writer: PtyWriter
  readonly screen: Screen
  readonly stream: StreamBatcher
  readonly deliveries: Deliveries
  readonly readiness: ReadinessTracker
  readonly idle: IdleDetector
  readonly spawnedAtMs = Date.now()
  readonly #o: CliSessionOptions
  readonly #answers: AutoAnswerer
  readonly #terminal: TerminalParts
  #lastOutputAtMs = 0
  #lastParsedTickMs = 0

  constructor(o: CliSessionOptions) {
    this.#o = o
    this.pty = o.pty
    this.idle = new IdleDetector(o.idleThresholdMs, this.spawnedAtMs)
    const writer = new PtyWriter(o.pty)
    this.writer = writer
    const screen = new Screen(o.rows, o.cols, (reply) => writer.write(reply))
    this.screen = screen
    // Verification and readiness look as soon as output is parsed, not only on the next tick.
    screen.onAllParsed = this.#onParsed
    this.stream = new StreamBatcher((chunk) => o.send('worker_stream', { stream: 'stdout', chunk }))
    this.deliveries = new Deliveries({
      send: o.send,
      writer,
      screen,
      log: o.log,
      workerName: o.workerName,
      verifyWindowMs: o.verifyWindowMs,
      profile: o.injection,
      reminderEnv: reminderEnvFrom(process.env),
      facts: o.facts,
      lastOutputAtMs: () => this.#lastOutputAtMs,
      profileBusy: () => this.profileBusy(),
      bracketedPaste: () => o.profile.bracketedPaste,
      submit: o.profile.submit ?? GENERIC_SUBMIT,
      flushOutput: () => this.stream.flush()
    })
    this.readiness = new ReadinessTracker(o.profile.readiness, screen, this.spawnedAtMs)
    this.#answers = ptyAutoAnswerer({
      rules: o.profile.autoAnswers,
      screen,
      writer,
      log: o.log,
      onAnswered: (a) => o.send('auto_answered', a)
    })
    this.#terminal = { pty: o.pty, screen, writer, send: o.send }
    o.pty.onData(this.#onData as unknown as (data: string) => void)
  }

  /** The profile's own busy verdict on the current screen (generic CLIs: never). */
  profileBusy(): boolean {
    return this.#o.profile.isBusy(this.screen)
  }

  handleControl(frame: ControlFrame): void {
    handleControlFrame(frame, this.#terminal)
  }

  /**
   * The CLI exited: no more auto-answers; one last look at the screen (its parse bounded by
   * SCREEN_SETTLE_AT_EXIT_MS) for the delivery in flight, then every open delivery fails with
   * `reason` and the last output is sent. Returns the screen's tail for the exit report.
   */
  async close(reason: string): Promise<string> {
    this.#answers.close()
    await Promise.race([this.screen.settle(), sleep(SCREEN_SETTLE_AT_EXIT_MS)])
    this.writer.close()
    this.deliveries.close(reason)
    this.stream.flush(true)
    return this.screen.tailText(LAST_OUTPUT_CHARS)
  }

  readonly #onData = (chunk: Buffer): void => {
    const now = Date.now()
    this.#lastOutputAtMs = now
    this.idle.output(now)
    this.screen.feed(chunk)
    const text = this.stream.push(chunk)
    if (this.readiness.reason === null) this.readiness.output(now, text)
  }

  readonly #onParsed = (): void => {
    const now = Date.now()
    if (now - this.#lastParsedTickMs < PARSED_TICK_MIN_INTERVAL_MS) return
    this.#lastParsedTickMs = now
    this.tick()
  }

  /** Readiness, auto-answers and deliveries look at the screen (every PTY_TICK_MS, and when output was parsed). */
  readonly tick = (): void => {
    const now = Date.now()
    const changed = this.screen.takeDirty()
    if (this.readiness.reason === null) {
      const reason = this.readiness.evaluate(now)
      if (reason !== null) this.#o.onReady(reason)
      const blocked = this.readiness.takeBlocked()
      if (blocked !== null) this.#o.onBlocked(blocked)
    }
    this.#answers.tick(now, changed)
    this.deliveries.tick(now, changed)
  }
}
