/**
 * Typing one delivery into the CLI's terminal, as one exclusive job of the PTY writer (nothing
 * else lands between its bytes): mark the cursor line, record `injecting` durably, (steer: ESC
 * ESC,) the text, wait until the CLI shows it took it, Enter, then wait for node-pty to hand the
 * bytes to the kernel.
 *
 * A program that stops reading its terminal leaves the bytes in node-pty's queue; after
 * PTY_WRITE_DRAIN_TIMEOUT_MS the child says `delivery_injecting` and keeps waiting, up to
 * PTY_SLOW_DRAIN_DEADLINE_MS, before the delivery fails at stage `injected` with its own reason
 * (the rest of the text may still reach it). The kernel may take the whole text at once and the
 * program read it later: when the echo window ends with the start of the text on screen and not
 * its end, the same deadline applies (in-flight.ts).
 */
import type { Logger } from '../../protocol/log.js'
import type { Screen } from '../screen.js'
import { sleep, type PtyWriter } from '../writer.js'
import { PTY_SLOW_DRAIN_DEADLINE_MS, type Active } from './in-flight.js'
import { screenShowsNeedleCompact } from './verify.js'
import { INJECT_ENTER_DELAY_MS, showsPlaceholderFor, stillInInputBox, textTaken, type SubmitProfile } from './submit.js'
/** Steer mode: pause after the ESC ESC interrupt before typing. */
export const STEER_ESC_DELAY_MS = 120
/** Longest wait for node-pty to hand the injected bytes to the kernel (then: a slow reader). */
export const PTY_WRITE_DRAIN_TIMEOUT_MS = 2_000

export interface TypingContext {
  writer: PtyWriter
  screen: Screen
  submit: SubmitProfile
  /** Records `injecting` in the facts file (durably) before the first byte. */
  recordInjecting(): void
  /** False once the delivery was closed or replaced: stop waiting. */
  current(): boolean
  /** The bytes are not drained within PTY_WRITE_DRAIN_TIMEOUT_MS: a slow reader. */
  onSlowDrain(): void
}

/** Types `bytes` (and Enter) for `a`; resolves true once the bytes drained to the kernel. */
export function typeDelivery(a: Active, bytes: string, ctx: TypingContext): Promise<boolean> {
  const { writer, screen } = ctx
  return writer.run(async (rawWrite) => {
    // Mark the line the cursor is on once all earlier output is parsed: the echo appears at or after it.
    await screen.settle()
    a.marker = screen.markCursorLine()
    a.neededBefore = screenShowsNeedleCompact(screen.visibleText(), a.needle)
    // The end of the text already on screen (the same message again) is no sign the CLI took it.
    const takenBefore = textTaken(screen.visibleText(), a.typedText)
    // From here on the text may reach the screen: say so durably before the first byte.
    ctx.recordInjecting()
    const write = (data: string): void => {
      a.typed = true
      rawWrite(data)
    }
    if (a.d.injection_mode === 'steer') {
      write('\x1b\x1b')
      await sleep(STEER_ESC_DELAY_MS)
    }
    write(bytes)
    await waitTaken(a, ctx)
    const settle = takenBefore ? Math.max(INJECT_ENTER_DELAY_MS, ctx.submit.pasteSettleMs) : ctx.submit.pasteSettleMs
    if (settle > 0) await sleep(settle)
    write('\r')
    if (await writer.drain(PTY_WRITE_DRAIN_TIMEOUT_MS)) return true
    if (writer.closed || !ctx.current()) return false
    // A slow reader: the bytes are on their way; say so, and give it its own deadline.
    ctx.onSlowDrain()
    return writer.drain(PTY_SLOW_DRAIN_DEADLINE_MS - PTY_WRITE_DRAIN_TIMEOUT_MS)
  })
}

/**
 * Waits (bounded) until the CLI shows the typed text or its placeholder: then Enter may go.
 * Looks again each time new output has been parsed (the screen changes only then).
 */
async function waitTaken(a: Active, ctx: TypingContext): Promise<void> {
  const until = Date.now() + ctx.submit.takeTimeoutMs
  while (Date.now() < until && ctx.current()) {
    await ctx.screen.settle()
    const visible = ctx.screen.visibleText()
    if (showsPlaceholderFor(visible, a.typedText)) a.placeholderSeen = true
    if (textTaken(visible, a.typedText)) {
      a.taken = true
      return
    }
    const left = until - Date.now()
    if (left > 0) await ctx.screen.nextParsed(left)
  }
}

/**
 * The text still sits in the input row after Enter (a swallowed or early Enter): press Enter
 * again, at most `maxExtraEnters` times, checking every `submitCheckMs`.
 */
export function enterAgainIfNotSubmitted(a: Active, nowMs: number, o: { screen: Screen; submit: SubmitProfile; writer: PtyWriter; log: Logger }): void {
  const s = o.submit
  if (a.submitting || a.extraEnters >= s.maxExtraEnters || nowMs < a.nextSubmitCheckMs || o.screen.parsing) return
  a.nextSubmitCheckMs = nowMs + s.submitCheckMs
  if (!stillInInputBox(o.screen, a.typedText)) return
  a.extraEnters++
  a.submitting = true
  o.log.info({ delivery_id: a.d.delivery_id, extra_enters: a.extraEnters }, 'text still in the input row after Enter: pressing Enter again')
  void o.writer
    .run(async (write) => write('\r'))
    .finally(() => {
      a.submitting = false
    })
}
