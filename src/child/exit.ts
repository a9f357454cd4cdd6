
/** Tail of output reported in `agent_exit.last_output`. */
export const LAST_OUTPUT_CHARS = 2_000
/**
 * How a child (`broker pty`, `broker headless`) ends: its exit statuses and the last flush of the
 * frame channel. The supervisor reads these statuses (src/supervisor/agents/restart-policy.ts:
 * 127 means "could not be started", not worth a restart).
 */

/** The frame channel lost its framing (EX_PROTOCOL). */
export const EXIT_PROTOCOL_ERROR = 76
/** The CLI or provider cannot be found or started (as a shell would). */
export const EXIT_SPAWN_FAILED = 127
/** An internal error (EX_SOFTWARE). */
export const EXIT_INTERNAL_ERROR = 70

/** Longest wait for the frame channel (stdout) to drain before the child exits. */
export const EXIT_FLUSH_TIMEOUT_MS = 1_000

/** The child's exit status for a CLI exit status: its code, or 128 + the signal that killed it. */
export function exitStatusFor(code: number | null, signal: number | null): number {
  if (signal) return 128 + signal
  return code ?? 1
}

/** Waits (bounded) until the frame channel has taken every frame written so far, closes it, exits. */
export async function flushAndExit(channel: { closed: boolean; close(): void; drain(timeoutMs: number): Promise<void> }, status: number): Promise<never> {
  if (!channel.closed) await channel.drain(EXIT_FLUSH_TIMEOUT_MS)
  channel.close()
  process.exit(status)
}
