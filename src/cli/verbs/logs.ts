/**
 * `broker logs <name> [-f] [--output]`: an agent's history as lines — lifecycle (spawned, ready,
 * blocked, exits, restarts), messages and every delivery stage — from the event ring; `-f` keeps
 * following live, `--output` adds its terminal output (escape sequences removed) while following.
 */
import type WebSocket from 'ws'
import { UsageError } from '../args.js'
import { clientFrom, CONNECTION_HELP, eventHandler, parseVerbArgs, runVerb, type EventJson } from './client.js'

const HELP = `usage: broker logs <name> [-f] [--output]

The agent's recent history from the broker's event ring (spawned, ready, blocked, exits, restarts,
messages it sent, each delivery to it with its stage and reason).
  -f, --follow   keep printing new lines as they happen (Ctrl-C to stop)
  --output       while following, also print the agent's terminal output as plain text

${CONNECTION_HELP}`

const BODY_PREVIEW_CHARS = 80

function preview(s: unknown): string {
  const t = String(s ?? '').replace(/\s+/g, ' ').trim()
  return t.length > BODY_PREVIEW_CHARS ? `${t.slice(0, BODY_PREVIEW_CHARS - 1)}…` : t
}

/** Removes CSI/OSC/other escape sequences and carriage returns: what a person reads on the screen. */
export function stripAnsi(s: string): string {
  return s
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b[@-Z\\-_]/g, '')
    .replace(/\r/g, '')
}

export class LogFormatter {
  readonly #name: string
  readonly #bodies = new Map<string, string>()
  constructor(name: string) {
    this.#name = name
  }

  /** Remembers message bodies first, so a replayed `delivery_accepted` can show its text. */
  learn(events: readonly EventJson[]): void {
    for (const ev of events) if (ev.kind === 'relay_inbound' && typeof ev.event_id === 'string') this.#bodies.set(ev.event_id, String(ev.body ?? ''))
  }

  /** One line for an event about this agent, or null. */
  line(ev: EventJson): string | null {
    if (ev.kind === 'relay_inbound' && typeof ev.event_id === 'string') this.#bodies.set(ev.event_id, String(ev.body ?? ''))
    if (ev.kind === 'relay_inbound' && ev.from === this.#name) return `sent to ${String(ev.target)}: ${preview(ev.body)}`
    if (ev.name !== this.#name) return null
    const id = typeof ev.delivery_id === 'string' ? ev.delivery_id : ''
    const reason = typeof ev.reason === 'string' && ev.reason ? `: ${ev.reason}` : ''
    switch (ev.kind) {
      case 'agent_spawned':
        return `spawned ${String(ev.cli)} (pid ${String(ev.pid)})`
      case 'worker_ready':
        return 'ready'
      case 'agent_blocked':
        return `blocked${reason}`
      case 'agent_auto_answered':
        return `auto-answered ${String(ev.rule)} with ${JSON.stringify(ev.answer)}`
      case 'agent_exited':
        return `exited code=${String(ev.code)} signal=${String(ev.signal)}${reason}`
      case 'agent_restarting':
        return `restarting in ${String(ev.delay_ms)}ms (restart ${String(ev.restart_count)})`
      case 'agent_restarted':
        return `restarted (pid ${String(ev.pid)})`
      case 'agent_released':
        return 'released'
      case 'agent_permanently_dead':
        return `permanently dead${reason}`
      case 'worker_error':
        return `error ${String(ev.code)}: ${String(ev.message)}`
      case 'delivery_accepted': {
        const body = this.#bodies.get(String(ev.event_id))
        return `delivery ${id} from ${String(ev.from)}: accepted${body !== undefined ? ` "${preview(body)}"` : ''}`
      }
      case 'delivery_queued':
      case 'delivery_injected':
      case 'delivery_verified':
      case 'delivery_failed':
      case 'delivery_dead_lettered':
        return `delivery ${id}: ${ev.kind.slice('delivery_'.length)}${reason}`
      default:
        return null
    }
  }
}

export async function runLogsCommand(argv: string[]): Promise<void> {
  const normalized = argv.map((a) => (a === '-f' ? '--follow' : a))
  await runVerb('logs', HELP, normalized, async () => {
    const args = parseVerbArgs(normalized, [], ['follow', 'output'])
    const [name, extra] = args.positionals
    if (!name) throw new UsageError('logs needs the agent name')
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`)
    const client = clientFrom(args)
    const fmt = new LogFormatter(name)
    const print = (ev: EventJson, live: boolean) => {
      const text = fmt.line(ev)
      if (text === null) return
      const when = live ? new Date().toISOString().slice(11, 19) : '--:--:--'
      process.stdout.write(`${when} [${String(ev.seq ?? '-')}] ${name}: ${text}\n`)
    }
    const replay = await client.get('/api/events/replay?sinceSeq=0')
    const events = (replay.body.events as EventJson[]) ?? []
    fmt.learn(events)
    for (const ev of events) print(ev, false)
    if (args.flags.get('follow') !== true) return
    const last = events.at(-1)?.seq ?? 0
    const withOutput = args.flags.get('output') === true
    let partial = ''
    const onEvent = eventHandler((ev) => {
      if (ev.kind === 'worker_stream') {
        if (!withOutput || ev.name !== name) return
        const lines = (partial + stripAnsi(String(ev.chunk ?? ''))).split('\n')
        partial = lines.pop() ?? ''
        for (const l of lines) if (l.trim()) process.stdout.write(`${name} | ${l}\n`)
        return
      }
      print(ev, true)
    })
    // Ctrl-C is a clean stop from here on (also while the socket is still opening).
    let stopping = false
    let ws: WebSocket | null = null
    let stop: () => void = () => undefined
    const stopped = new Promise<void>((resolve) => (stop = resolve))
    process.once('SIGINT', () => {
      stopping = true
      ws?.terminate()
      stop()
    })
    ws = await client.openSocket(`/ws?sinceSeq=${last}`, onEvent)
    if (stopping) ws.terminate()
    ws.once('close', () => {
      if (!stopping) {
        process.stderr.write('broker logs: the broker closed the stream\n')
        process.exitCode = 3
      }
      stop()
    })
    await stopped
  })
}
