/** `broker send <to> <text…>`: sends a DM or `#channel` post and prints each delivery's stages as they happen. */
import { flagNumber, flagString, UsageError } from '../args.js'
import { CliError, clientFrom, CONNECTION_HELP, EXIT_FAILED, EXIT_OK, eventHandler, parseVerbArgs, runVerb } from './client.js'

const HELP = `usage: broker send <to> <text…> [options]

Sends <text> to an agent or a #channel, then follows every delivery through its stages
(accepted → queued → injected → verified, or failed / dead_lettered with the reason).
  --from NAME        sender name (default: the broker's human sender)
  --thread ID        thread id
  --priority 0-4     0 is the most urgent
  --timeout SECS     stop waiting after SECS (default 180; exit 1)
  --no-wait          return once the broker accepted the message

${CONNECTION_HELP}

exit: 0 every delivery verified, 1 a delivery failed / was dead-lettered / timed out,
      4 no such agent or channel, 3 no broker, 2 usage`

const SEND_WAIT_TIMEOUT_SECS = 180
const STAGE_EVENTS: Record<string, string> = {
  delivery_accepted: 'accepted',
  delivery_queued: 'queued',
  delivery_injected: 'injected',
  delivery_verified: 'verified',
  delivery_failed: 'failed',
  delivery_dead_lettered: 'dead_lettered'
}
const NEXT_STAGE: Record<string, string> = { accepted: 'queued', queued: 'injected', injected: 'verified' }
const FINAL = new Set(['verified', 'failed', 'dead_lettered'])

interface Track {
  name: string
  stages: string[]
  final: string | null
  reason: string | null
}

export async function runSendCommand(argv: string[]): Promise<void> {
  await runVerb('send', HELP, argv, async () => {
    const args = parseVerbArgs(argv, ['from', 'thread', 'priority', 'timeout'], ['no-wait'])
    const [to, ...words] = [...args.positionals, ...args.rest]
    if (!to) throw new UsageError('send needs a recipient (agent name or #channel)')
    const text = words.join(' ')
    if (!text) throw new UsageError('send needs the text to send')
    const timeoutSecs = flagNumber(args, 'timeout') ?? SEND_WAIT_TIMEOUT_SECS
    const priority = flagNumber(args, 'priority')
    const client = clientFrom(args)
    const wait = args.flags.get('no-wait') !== true
    const byId = new Map<string, { stage: string; reason: string | null; at: number }[]>()
    let onStage: (() => void) | null = null
    const onEvent = eventHandler((ev) => {
      const stage = STAGE_EVENTS[ev.kind]
      if (!stage || typeof ev.delivery_id !== 'string') return
      const list = byId.get(ev.delivery_id) ?? []
      list.push({ stage, reason: typeof ev.reason === 'string' ? ev.reason : null, at: Date.now() })
      byId.set(ev.delivery_id, list)
      onStage?.()
    })
    const ws = wait ? await client.openSocket('/ws', onEvent) : null
    try {
      const started = Date.now()
      const reply = await client.call('POST', '/api/send', {
        to,
        text,
        ...(flagString(args, 'from') ? { from: flagString(args, 'from') } : {}),
        ...(flagString(args, 'thread') ? { thread_id: flagString(args, 'thread') } : {}),
        ...(priority !== undefined ? { priority } : {})
      })
      const deliveries = (reply.body.deliveries as { name: string; delivery_id: string }[]) ?? []
      process.stdout.write(`sent ${String(reply.body.event_id)} to ${deliveries.map((d) => d.name).join(', ') || to}\n`)
      if (!ws) return EXIT_OK
      const tracks = new Map<string, Track>(deliveries.map((d) => [d.delivery_id, { name: d.name, stages: [], final: null, reason: null }]))
      const width = Math.max(...deliveries.map((d) => d.name.length), 4)
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          const open = [...tracks.values()].filter((t) => !t.final).map((t) => `${t.name} (at ${t.stages.at(-1) ?? 'nothing yet'})`)
          reject(new CliError('send_timeout', `gave up after ${timeoutSecs}s waiting for ${open.join(', ')}`, EXIT_FAILED))
        }, timeoutSecs * 1000)
        onStage = () => {
          for (const [id, t] of tracks) {
            for (const s of byId.get(id) ?? []) {
              if (t.final || t.stages.includes(s.stage)) continue
              t.stages.push(s.stage)
              if (FINAL.has(s.stage)) {
                t.final = s.stage
                t.reason = s.reason
              }
              const next = NEXT_STAGE[s.stage]
              const tail = t.final ? (t.reason ? `: ${t.reason}` : '') : next ? `  (waiting for ${next})` : ''
              process.stdout.write(`  ${t.name.padEnd(width)}  ${s.stage.padEnd(13)} +${((s.at - started) / 1000).toFixed(2)}s${tail}\n`)
            }
          }
          if ([...tracks.values()].every((t) => t.final)) {
            clearTimeout(timer)
            resolve()
          }
        }
        onStage()
      })
      const bad = [...tracks.values()].filter((t) => t.final !== 'verified')
      if (bad.length > 0) {
        process.stderr.write(`broker send: ${bad.map((t) => `${t.name} ${t.final}${t.reason ? ` (${t.reason})` : ''}`).join('; ')}\n`)
        return EXIT_FAILED
      }
      return EXIT_OK
    } finally {
      ws?.terminate()
    }
  })
}
