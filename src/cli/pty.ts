/** `broker pty [--agent-name N] [--idle-threshold-secs S] <cli> [args…] [-- args…]` */
import { flagNumber, flagString, parseArgs, UsageError } from './args.js'
import { runPtyWorker } from '../pty/main.js'

export async function runPtyCommand(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['agent-name', 'idle-threshold-secs'], [])
  const [cli, ...inline] = args.positionals
  if (!cli) throw new UsageError('pty needs the CLI to run')
  await runPtyWorker({
    cli,
    args: [...inline, ...args.rest],
    agentName: flagString(args, 'agent-name') ?? null,
    idleThresholdSecs: flagNumber(args, 'idle-threshold-secs') ?? null
  })
}
