/** `broker pty [--agent-name N] [--idle-threshold-secs S] [--run-as-uid U --run-as-gid G] <cli> [args…] [-- args…]` */
import { flagNumber, flagString, parseArgs, UsageError } from './args.js'
import { runPtyWorker } from '../pty/main.js'

export async function runPtyCommand(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['agent-name', 'idle-threshold-secs', 'run-as-uid', 'run-as-gid'], [])
  const [cli, ...inline] = args.positionals
  if (!cli) throw new UsageError('pty needs the CLI to run')
  await runPtyWorker({
    cli,
    args: [...inline, ...args.rest],
    agentName: flagString(args, 'agent-name') ?? null,
    idleThresholdSecs: flagNumber(args, 'idle-threshold-secs') ?? null,
    runAs: runAsFlags(flagNumber(args, 'run-as-uid'), flagNumber(args, 'run-as-gid'))
  })
}

function runAsFlags(uid: number | undefined, gid: number | undefined): { uid: number; gid: number } | null {
  if (uid === undefined && gid === undefined) return null
  if (uid === undefined || gid === undefined || !Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0) {
    throw new UsageError('--run-as-uid and --run-as-gid go together, as non-negative integers')
  }
  return { uid, gid }
}
