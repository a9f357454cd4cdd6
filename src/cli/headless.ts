/** `broker headless --agent-name N <provider> [--bin PATH] [-- args…]`: one headless provider session. */
import { flagString, parseArgs, UsageError } from './args.js'

export async function runHeadlessCommand(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['agent-name', 'bin'], [])
  const [provider, ...inline] = args.positionals
  if (!provider) throw new UsageError('headless needs a provider (claude, opencode)')
  const { runHeadlessWorker, UnknownProviderError } = await import('../headless/main.js')
  try {
    runHeadlessWorker({ provider, bin: flagString(args, 'bin') ?? null, args: [...inline, ...args.rest], agentName: flagString(args, 'agent-name') ?? null })
  } catch (err) {
    if (err instanceof UnknownProviderError) throw new UsageError(err.message)
    throw err
  }
}
