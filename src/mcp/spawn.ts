/**
 * What spawn adds to a known CLI's arguments (docs/clis.md): its permission
 * bypass flag, then — unless the spawn asked for `skip_relay_prompt` — the wiring of `broker mcp`
 * (flags appended, config files merged into the agent's cwd). `broker mcp-args` prints the same.
 */
import type { McpWiringKind, SpawnFacts } from '../catalog/clis.js'
import { appendWiringArgs, applyWiringFile, mcpWiring, type McpWiring } from './wiring.js'

export interface WiredArgs {
  args: string[]
  /** The MCP wiring applied, or null (none for this CLI, or skipped). */
  wiring: McpWiring | null
  /** Config files written or updated in the cwd. */
  written: string[]
}

export function wireAgentArgs(
  facts: SpawnFacts,
  args: readonly string[],
  opts: { cwd: string; skipRelayPrompt: boolean; bypass?: boolean; mcpKind?: McpWiringKind | null }
): WiredArgs {
  const bypass = opts.bypass === false ? [] : facts.bypassArgs(args)
  const kind = opts.mcpKind === undefined ? facts.mcp : opts.mcpKind
  const withBypass = [...bypass, ...args]
  if (opts.skipRelayPrompt || kind === null) return { args: withBypass, wiring: null, written: [] }
  const wiring = mcpWiring(kind, args)
  const written = wiring.files.map((f) => applyWiringFile(opts.cwd, f))
  return { args: appendWiringArgs(withBypass, wiring.args), wiring, written }
}
