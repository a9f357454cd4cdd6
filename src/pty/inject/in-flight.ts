/**
 * The delivery in flight inside the PTY child (deliveries.ts starts it): what was typed, the
 * evidence on screen that the CLI took it, and the verdict when its verification window ends.
 */
import type { IMarker } from '@xterm/headless'
import type { RelayDelivery } from '../../protocol/frames.js'
import type { Screen } from '../screen.js'
import { echoIncompleteReason, echoTimeoutReason, screenShowsNeedle, screenShowsNeedleCompact, screenShowsNeedleHead, screenShowsNeedleTail } from './verify.js'
import { showsPlaceholderFor, stillInInputBox } from './submit.js'

/** Longest wait for a program that stopped reading its terminal to take an injected text. */
export const PTY_SLOW_DRAIN_DEADLINE_MS = 60_000
/** A message still sitting in the CLI's input row is looked for up to this many verify windows. */
export const VERIFY_PENDING_EXTEND_FACTOR = 3
/** …checking again this often. */
export const VERIFY_PENDING_STEP_MS = 500
/** When the verification window ends while output is still being parsed, wait at most this much longer for the parse. */
export const VERIFY_PARSE_GRACE_MS = 1_000

/** Why a delivery whose bytes never drained into the terminal ends `failed`. */
export function slowDrainReason(pendingBytes: number): string {
  return `pty write did not drain within ${PTY_SLOW_DRAIN_DEADLINE_MS / 1000}s: the program stopped reading its terminal with ${pendingBytes} bytes still queued (partly typed; not typed again)`
}

export interface Queued {
  d: RelayDelivery
  requestId: string | null
}

export interface Active extends Queued {
  /** `confirming`: verified, and watching the input row until the text has left it (submitted). */
  phase: 'injecting' | 'verifying' | 'confirming'
  /** The first byte was handed to node-pty: from now on it counts as typed. */
  typed: boolean
  needle: string
  /** What was typed (reminder + relay line), for placeholder and input-row checks. */
  typedText: string
  marker: IMarker | undefined
  deadlineMs: number
  windowMs: number
  /** When typing began (epoch ms): the slow-reader deadline counts from here. */
  startedAtMs: number
  injectedAtMs: number
  /** The needle was on the visible screen before typing: only text after the marker counts then. */
  neededBefore: boolean
  /** A paste placeholder stating the typed size was seen after typing. */
  placeholderSeen: boolean
  /** The CLI showed it took the typed text (its placeholder or its end on screen) before Enter. */
  taken: boolean
  /** Extra Enters pressed because the text still sat in the input row. */
  extraEnters: number
  nextSubmitCheckMs: number
  submitting: boolean
}

/** A delivery about to be typed. */
export function startActive(q: Queued, needle: string, typedText: string, windowMs: number): Active {
  return {
    ...q,
    phase: 'injecting',
    typed: false,
    needle,
    typedText,
    marker: undefined,
    deadlineMs: 0,
    windowMs,
    startedAtMs: Date.now(),
    injectedAtMs: 0,
    neededBefore: false,
    placeholderSeen: false,
    taken: false,
    extraEnters: 0,
    nextSubmitCheckMs: 0,
    submitting: false
  }
}

/**
 * Evidence that the CLI took the message, strongest first: the relay line after the injection
 * marker (whitespace collapsed, then compacted: borders, gutters and wraps removed); the relay
 * line anywhere on the visible screen when it was not there before typing (CLIs that redraw
 * above the cursor row); a placeholder stating the typed size, seen after typing, together
 * with the end of the relay line on screen (long pastes whose head scrolled away).
 */
export function seenOnScreen(a: Active, screen: Screen): boolean {
  const fromMarker = screen.textFrom(a.marker)
  if (screenShowsNeedle(fromMarker, a.needle) || screenShowsNeedleCompact(fromMarker, a.needle)) return true
  const visible = screen.visibleText()
  if (!a.neededBefore && screenShowsNeedleCompact(visible, a.needle)) return true
  if (!a.placeholderSeen && (showsPlaceholderFor(visible, a.typedText) || showsPlaceholderFor(fromMarker, a.typedText))) a.placeholderSeen = true
  return a.placeholderSeen && !a.neededBefore && (screenShowsNeedleTail(fromMarker, a.needle) || screenShowsNeedleTail(visible, a.needle))
}

/** What to do with a typed delivery whose verification window has ended. */
export type WindowVerdict = { kind: 'verified' } | { kind: 'wait' } | { kind: 'failed'; reason: string }

/**
 * The verdict once `nowMs` is past the delivery's window: verified if the screen shows it;
 * wait while output is still parsed, while the program is still drawing the text (a slow
 * reader), while the text sits in the CLI's input box, while the CLI shows itself busy with a
 * turn (gemini 0.61 draws the submitted message only once its model router answered: seconds
 * under load), or once the text it visibly took left its input box (submitted; opencode under load
 * draws it seconds later) — the window is extended, bounded; else failed, saying which it was.
 * Waiting longer never counts as seeing: `verified` still needs the text on screen.
 */
export function windowVerdict(a: Active, nowMs: number, screen: Screen, busy = false): WindowVerdict {
  if (screen.parsing && nowMs < a.deadlineMs + VERIFY_PARSE_GRACE_MS) return { kind: 'wait' }
  if (seenOnScreen(a, screen)) return { kind: 'verified' }
  // The program drew the start of the text and not yet its end: it is still reading (slowly).
  const started = screenShowsNeedleHead(screen.textFrom(a.marker), a.needle)
  if (started && nowMs < a.startedAtMs + PTY_SLOW_DRAIN_DEADLINE_MS) return { kind: 'wait' }
  // The CLI visibly took the text (it still sits in its input row) but is slow to submit it:
  // keep looking, bounded, rather than fail a message the CLI has.
  const pending = stillInInputBox(screen, a.typedText)
  const extended = pending || busy || a.taken
  if (extended && nowMs < a.injectedAtMs + a.windowMs * VERIFY_PENDING_EXTEND_FACTOR) {
    a.deadlineMs = nowMs + VERIFY_PENDING_STEP_MS
    return { kind: 'wait' }
  }
  if (started) return { kind: 'failed', reason: echoIncompleteReason(PTY_SLOW_DRAIN_DEADLINE_MS) }
  const waitedMs = extended ? a.windowMs * VERIFY_PENDING_EXTEND_FACTOR : a.windowMs
  const reason = pending ? `${echoTimeoutReason(waitedMs)}: the text is still in the CLI's input row, not submitted` : echoTimeoutReason(waitedMs)
  return { kind: 'failed', reason }
}
