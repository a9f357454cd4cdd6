/**
 * Claude Code as a long-lived headless session: ONE process for every turn,
 *   claude -p --input-format stream-json --output-format stream-json --verbose <args…>
 * A turn is one `{"type":"user","message":{…}}` line on its stdin; its stdout is one JSON event
 * per line (`system`, `assistant`, `user` (tool results), `result`).
 *
 *   accepted      the line was handed to claude's stdin
 *   working       the first event of the turn (including `system/api_retry` while it retries)
 *   acknowledged  the model answered the turn: an `assistant` event without `error`, or a
 *                 successful `result`
 *   turn_done     `result` with is_error false
 *   turn_failed   `result` with is_error true (its `result` text: "Invalid API key · Please run
 *                 /login", a rate limit…), or claude exiting mid-turn (its exit code, stderr)
 */
import { exitReason, ProviderProcess } from '../proc.js'
import type { HeadlessProvider, ProviderContext, ProviderSession, Turn } from '../provider.js'

export const CLAUDE_STREAM_ARGS = ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose']

interface StreamEvent {
  type?: unknown
  subtype?: unknown
  is_error?: unknown
  result?: unknown
  error?: unknown
  errors?: unknown
  message?: { content?: unknown }
}

/** `text`, `tool_use`, `thinking` (joined with '+') for messages; `result`; `system:<subtype>`. */
export function claudeEventType(ev: StreamEvent): string {
  const type = typeof ev.type === 'string' ? ev.type : 'unknown'
  if (type === 'system') return typeof ev.subtype === 'string' ? `system:${ev.subtype}` : 'system'
  if (type === 'assistant' || type === 'user') {
    const content = ev.message?.content
    if (Array.isArray(content)) {
      const kinds = [...new Set(content.map((c) => (typeof c === 'object' && c !== null && typeof (c as { type?: unknown }).type === 'string' ? (c as { type: string }).type : 'unknown')))]
      if (kinds.length > 0) return kinds.join('+')
    }
    return type
  }
  return type
}

function resultReason(ev: StreamEvent): string {
  if (typeof ev.result === 'string' && ev.result.trim()) return ev.result.trim()
  if (Array.isArray(ev.errors) && ev.errors.length > 0) return ev.errors.map(String).join('; ')
  return typeof ev.subtype === 'string' ? `claude: ${ev.subtype}` : 'claude reported an error'
}

class ClaudeSession implements ProviderSession {
  readonly longLived = true
  readonly #ctx: ProviderContext
  #proc: ProviderProcess | null = null
  #turn: Turn | null = null
  #accepted = false
  #working = false
  #acked = false
  #stopping = false

  constructor(ctx: ProviderContext) {
    this.#ctx = ctx
  }

  start(): void {
    const ctx = this.#ctx
    ProviderProcess.start({
      bin: ctx.bin,
      args: [...CLAUDE_STREAM_ARGS, ...ctx.args],
      cwd: ctx.cwd,
      env: ctx.env,
      stdin: 'pipe',
      onStdoutLine: (l) => this.#onLine(l),
      onStderrLine: (l) => ctx.emit({ kind: 'stream', stream: 'stderr', eventType: null, line: l })
    }).then(
      (proc) => {
        this.#proc = proc
        ctx.emit({ kind: 'process_started', pid: proc.pid })
        void proc.exited.then((s) => {
          if (this.#stopping) return
          const reason = exitReason('claude', s, proc.stderrTail)
          if (this.#turn) this.#fail(reason)
          ctx.emit({ kind: 'exited', code: s.code, signal: s.signal, reason })
        })
      },
      (err: Error) => ctx.emit({ kind: 'exited', code: null, signal: null, reason: err.message })
    )
  }

  submit(turn: Turn): void {
    this.#turn = turn
    this.#accepted = this.#working = this.#acked = false
    const line = JSON.stringify({ type: 'user', message: { role: 'user', content: [{ type: 'text', text: turn.text }] } })
    const proc = this.#proc
    if (!proc || !proc.running) return this.#fail('claude is not running')
    proc.write(`${line}\n`).then(
      () => {
        if (this.#turn?.id !== turn.id) return
        this.#accepted = true
        this.#ctx.emit({ kind: 'accepted', turn: turn.id })
      },
      (err: Error) => {
        if (this.#turn?.id === turn.id) this.#fail(`claude did not take the turn: ${err.message}`)
      }
    )
  }

  async stop(graceMs: number): Promise<{ code: number | null; signal: string | null }> {
    this.#stopping = true
    return this.#proc ? this.#proc.stop(graceMs) : { code: null, signal: null }
  }

  #onLine(line: string): void {
    let ev: StreamEvent | null = null
    try {
      const parsed: unknown = JSON.parse(line)
      if (typeof parsed === 'object' && parsed !== null) ev = parsed as StreamEvent
    } catch {
      // not JSON: forwarded as a plain line
    }
    this.#ctx.emit({ kind: 'stream', stream: 'stdout', eventType: ev ? claudeEventType(ev) : null, line })
    const turn = this.#turn
    if (!ev || !turn || !this.#accepted) return
    if (!this.#working) {
      this.#working = true
      this.#ctx.emit({ kind: 'working', turn: turn.id })
    }
    if (ev.type === 'assistant' && ev.error === undefined) this.#ack()
    if (ev.type === 'result') {
      if (ev.is_error === true || (typeof ev.subtype === 'string' && ev.subtype.startsWith('error'))) {
        this.#fail(resultReason(ev))
      } else {
        this.#ack()
        this.#turn = null
        this.#ctx.emit({ kind: 'turn_done', turn: turn.id })
      }
    }
  }

  #ack(): void {
    if (this.#acked || !this.#turn) return
    this.#acked = true
    this.#ctx.emit({ kind: 'acknowledged', turn: this.#turn.id })
  }

  #fail(reason: string): void {
    const turn = this.#turn
    if (!turn) return
    this.#turn = null
    this.#ctx.emit({ kind: 'turn_failed', turn: turn.id, reason })
  }
}

export const claudeProvider: HeadlessProvider = {
  name: 'claude',
  create: (ctx) => new ClaudeSession(ctx)
}
