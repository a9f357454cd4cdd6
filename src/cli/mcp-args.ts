/**
 * `broker mcp-args <cli> [--cwd DIR] [--write]`: the flags and config files that wire `broker mcp`
 * into a CLI, exactly as spawn applies them (src/mcp/wiring.ts). Prints JSON:
 * `{cli, profile, mcp, args, files: [{path, key, set}], note}`. `--write` merges the files into
 * DIR (default: the current directory). `--agent-name` is accepted for symmetry with spawn; the
 * identity itself is read by `broker mcp` from the agent's environment.
 */
import { resolve } from 'node:path'
import { flagString, parseArgs, UsageError } from './args.js'
import { cliFacts } from '../catalog/clis.js'
import { applyWiringFile, mcpWiring, WiringError } from '../mcp/wiring.js'

export async function runMcpArgsCommand(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['agent-name', 'cwd'], ['write'])
  const [cli, ...rest] = args.positionals
  if (!cli || rest.length > 0) throw new UsageError('mcp-args needs exactly one CLI name (claude, codex, gemini, opencode, cursor, droid)')
  const profile = cliFacts(cli)
  if (profile.mcp === null) throw new UsageError(`'${cli}' (profile ${profile.name}) has no MCP support to wire`)
  const wiring = mcpWiring(profile.mcp, args.rest)
  const out = { cli, profile: profile.name, mcp: wiring.kind, agent_name: flagString(args, 'agent-name') ?? null, args: wiring.args, files: wiring.files, note: wiring.note }
  if (args.flags.has('write')) {
    const cwd = resolve(flagString(args, 'cwd') ?? process.cwd())
    let written: string[]
    try {
      written = wiring.files.map((f) => applyWiringFile(cwd, f))
    } catch (err) {
      if (!(err instanceof WiringError)) throw err
      process.stderr.write(`broker mcp-args: ${err.message}\n`)
      process.exit(1)
    }
    process.stdout.write(`${JSON.stringify({ ...out, written }, null, 2)}\n`)
    return
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
}
