/** `broker spawn <name> [options] -- <cli> [args…]`: starts an agent and shows starting → ready. */
import { flagNumber, flagString, UsageError } from '../args.js'
import { CliError, clientFrom, CONNECTION_HELP, EXIT_FAILED, eventHandler, parseVerbArgs, runVerb, type EventJson } from './client.js'

const HELP = `usage: broker spawn <name> [options] -- <cli> [args…]

Starts an agent running <cli> in a pseudo-terminal and waits until it is ready.
  --channels CSV     channels to join (default: the broker's default channels)
  --cwd DIR          the CLI's working directory
  --task TEXT        a first message typed into the agent once it is ready
  --runtime pty|headless
  --timeout SECS     give up waiting for ready after SECS (default 60; exit 1)
  --no-wait          return once the agent is accepted (starting)

${CONNECTION_HELP}

exit: 0 ready, 1 exited/blocked/timed out before ready or refused, 3 no broker, 2 usage`

const SPAWN_READY_TIMEOUT_SECS = 60

export async function runSpawnCommand(argv: string[]): Promise<void> {
  await runVerb('spawn', HELP, argv, async () => {
    const args = parseVerbArgs(argv, ['channels', 'cwd', 'task', 'runtime', 'timeout'], ['no-wait'])
    const [name, extra] = args.positionals
    if (!name) throw new UsageError('spawn needs the agent name')
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}' (put the CLI after --)`)
    const [cli, ...cliArgs] = args.rest
    if (!cli) throw new UsageError('spawn needs the CLI to run after -- (e.g. broker spawn alice -- claude)')
    const timeoutSecs = flagNumber(args, 'timeout') ?? SPAWN_READY_TIMEOUT_SECS
    const channels = flagString(args, 'channels')
    const client = clientFrom(args)
    const wait = args.flags.get('no-wait') !== true
    const seen: EventJson[] = []
    let check: (() => void) | null = null
    const onEvent = eventHandler((ev) => {
      if (ev.name === name) {
        seen.push(ev)
        check?.()
      }
    })
    const ws = wait ? await client.openSocket('/ws', onEvent) : null
    try {
      const started = Date.now()
      const reply = await client.call('POST', '/api/spawn', {
        name,
        cli,
        args: cliArgs,
        ...(channels !== undefined ? { channels: channels.split(',').map((c) => c.trim()).filter(Boolean) } : {}),
        ...(flagString(args, 'cwd') ? { cwd: flagString(args, 'cwd') } : {}),
        ...(flagString(args, 'task') ? { task: flagString(args, 'task') } : {}),
        ...(flagString(args, 'runtime') ? { runtime: flagString(args, 'runtime') } : {})
      })
      const pid = reply.body.pid
      process.stdout.write(`${name}: starting (pid ${pid})\n`)
      if (!ws) return
      await new Promise<void>((resolve, reject) => {
        let mine = false
        let index = 0
        const timer = setTimeout(
          () => reject(new CliError('spawn_timeout', `${name} was not ready after ${timeoutSecs}s (it keeps starting; see broker status)`, EXIT_FAILED)),
          timeoutSecs * 1000
        )
        check = () => {
          for (; index < seen.length; index++) {
            const ev = seen[index]!
            if (ev.kind === 'agent_spawned' && ev.pid === pid) mine = true
            if (!mine) continue
            if (ev.kind === 'worker_ready') {
              clearTimeout(timer)
              process.stdout.write(`${name}: ready (${((Date.now() - started) / 1000).toFixed(1)}s)\n`)
              resolve()
              return
            }
            if (ev.kind === 'agent_blocked') {
              clearTimeout(timer)
              const hint = `it keeps running: answer it with \`broker attach ${name} --mode drive\` or release it`
              reject(new CliError('agent_blocked', `${name} is blocked: ${String(ev.reason ?? '')} (${hint})`, EXIT_FAILED))
              return
            }
            if (ev.kind === 'agent_restarting') process.stdout.write(`${name}: restarting (code ${String(ev.code)})\n`)
            if (ev.kind === 'agent_exited' || ev.kind === 'agent_permanently_dead') {
              clearTimeout(timer)
              reject(new CliError('agent_exited', `${name} exited before it was ready (code ${String(ev.code ?? '?')}, ${String(ev.reason ?? '')})`, EXIT_FAILED))
              return
            }
          }
        }
        check()
      })
    } finally {
      ws?.terminate()
    }
  })
}
