/** `broker release <name>`: stops an agent (its whole process tree) and removes it. */
import { UsageError } from '../args.js'
import { CliError, clientFrom, CONNECTION_HELP, EXIT_NOT_FOUND, parseVerbArgs, runVerb } from './client.js'

const HELP = `usage: broker release <name>

Stops the agent (grace period, then its whole process tree) and removes it. Open deliveries end
as failed (typed, not seen) or dead letters (never typed).

${CONNECTION_HELP}

exit: 0 released, 4 no such agent, 3 no broker, 2 usage`

export async function runReleaseCommand(argv: string[]): Promise<void> {
  await runVerb('release', HELP, argv, async () => {
    const args = parseVerbArgs(argv, [], [])
    const [name, extra] = args.positionals
    if (!name) throw new UsageError('release needs the agent name')
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`)
    const client = clientFrom(args)
    // The route answers 200 for a name it does not host (wire compatibility); the verb says so.
    const listed = ((await client.get('/api/spawned')).body.agents as { name: string }[]) ?? []
    if (!listed.some((a) => a.name === name)) throw new CliError('agent_not_found', `no agent named '${name}'`, EXIT_NOT_FOUND)
    await client.call('DELETE', `/api/spawned/${encodeURIComponent(name)}`)
    process.stdout.write(`${name}: released\n`)
  })
}
