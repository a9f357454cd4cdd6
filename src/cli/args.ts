import { UsageError } from '../errors/index.js'
export { UsageError } from '../errors/index.js'

export interface ParsedArgs {
  flags: Map<string, string | true>
  positionals: string[]
  /** Everything after a bare `--`. */
  rest: string[]
}

export function parseArgs(argv: readonly string[], valueFlags: readonly string[], boolFlags: readonly string[]): ParsedArgs {
  const flags = new Map<string, string | true>()
  const positionals: string[] = []
  let rest: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      rest = argv.slice(i + 1)
      break
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
      if (boolFlags.includes(name)) {
        if (eq !== -1) throw new UsageError(`--${name} takes no value`)
        flags.set(name, true)
      } else if (valueFlags.includes(name)) {
        const value = eq === -1 ? argv[++i] : arg.slice(eq + 1)
        if (value === undefined) throw new UsageError(`--${name} needs a value`)
        flags.set(name, value)
      } else {
        throw new UsageError(`unknown option --${name}`)
      }
    } else {
      positionals.push(arg)
    }
  }
  return { flags, positionals, rest }
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name)
  return typeof v === 'string' ? v : undefined
}

export function flagNumber(args: ParsedArgs, name: string): number | undefined {
  const v = flagString(args, name)
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number, got '${v}'`)
  return n
}
