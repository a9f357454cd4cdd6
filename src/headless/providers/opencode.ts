/**
 * opencode through its non-interactive mode, one process per turn, one session for all turns:
 *   opencode run --format json [--session <id>] <args…> <text>
 * (stdin closed: `opencode run` reads a non-TTY stdin to the end). Each stdout line is
 * `{type, timestamp, sessionID, part|error}` with type step_start, text, reasoning, tool_use,
 * step_finish or error. The first event's sessionID is kept and passed to later turns.
 *
 *   accepted      the process started with the turn
 *   working       the first event of the turn (`step_start`)
 *   acknowledged  the model's first output (`text`, `reasoning`, `tool_use`), or a clean exit
 *   turn_done     exit 0 without an `error` event
 *   turn_failed   an `error` event (its data.message, else its name), or a non-zero exit
 */
import { exitReason, ProviderProcess } from '../proc.js'
import type { HeadlessProvider, ProviderContext, ProviderSession, Turn } from '../provider.js'

/** Permissions a headless opencode gets: with no terminal it has nobody to ask (docs/clis.md, headless providers). */
export const OPENCODE_PERMISSION = '{"*":"allow","external_directory":{"*":"allow"}}'

interface RunEvent {
  type?: unknown
  sessionID?: unknown
  error?: { name?: unknown; data?: { message?: unknown } }
}

function errorText(ev: RunEvent): string {
  const msg = ev.error?.data?.message
  if (typeof msg === 'string' && msg.trim()) return msg.trim()
  return typeof ev.error?.name === 'string' ? ev.error.name : 'opencode reported an error'
}

class OpencodeSession implements ProviderSession {
  readonly longLived = false
  readonly #ctx: ProviderContext
  #session: string | null = null
  #proc: ProviderProcess | null = null
  #stopping = false

  constructor(ctx: ProviderContext) {
    this.#ctx = ctx
  }

  start(): void {
    // Nothing runs between turns.
  }

  submit(turn: Turn): void {
    const ctx = this.#ctx
    let working = false
    let acked = false
    let error: string | null = null
    const args = ['run', '--format', 'json', ...(this.#session ? ['--session', this.#session] : []), ...ctx.args, turn.text]
    ProviderProcess.start({
      bin: ctx.bin,
      args,
      cwd: ctx.cwd,
      env: { ...ctx.env, OPENCODE_PERMISSION },
      stdin: 'ignore',
      onStdoutLine: (line) => {
        let ev: RunEvent | null = null
        try {
          const parsed: unknown = JSON.parse(line)
          if (typeof parsed === 'object' && parsed !== null) ev = parsed as RunEvent
        } catch {
          // plain line
        }
        ctx.emit({ kind: 'stream', stream: 'stdout', eventType: ev && typeof ev.type === 'string' ? ev.type : null, line })
        if (!ev) return
        if (typeof ev.sessionID === 'string') this.#session ??= ev.sessionID
        if (!working) {
          working = true
          ctx.emit({ kind: 'working', turn: turn.id })
        }
        if ((ev.type === 'text' || ev.type === 'reasoning' || ev.type === 'tool_use') && !acked && error === null) {
          acked = true
          ctx.emit({ kind: 'acknowledged', turn: turn.id })
        }
        if (ev.type === 'error') error = error ? `${error}; ${errorText(ev)}` : errorText(ev)
      },
      onStderrLine: (line) => ctx.emit({ kind: 'stream', stream: 'stderr', eventType: null, line })
    }).then(
      (proc) => {
        this.#proc = proc
        ctx.emit({ kind: 'process_started', pid: proc.pid })
        ctx.emit({ kind: 'accepted', turn: turn.id })
        void proc.exited.then((s) => {
          this.#proc = null
          if (this.#stopping) return
          if (error !== null) ctx.emit({ kind: 'turn_failed', turn: turn.id, reason: error })
          else if (s.code !== 0) ctx.emit({ kind: 'turn_failed', turn: turn.id, reason: exitReason('opencode', s, proc.stderrTail) })
          else {
            if (!acked) ctx.emit({ kind: 'acknowledged', turn: turn.id })
            ctx.emit({ kind: 'turn_done', turn: turn.id })
          }
        })
      },
      (err: Error) => ctx.emit({ kind: 'turn_failed', turn: turn.id, reason: err.message })
    )
  }

  async stop(graceMs: number): Promise<{ code: number | null; signal: string | null }> {
    this.#stopping = true
    return this.#proc ? this.#proc.stop(graceMs) : { code: null, signal: null }
  }
}

export const opencodeProvider: HeadlessProvider = {
  name: 'opencode',
  create: (ctx) => new OpencodeSession(ctx)
}
