/** The parts of a CLI profile that decide how the agent is started (used by the supervisor too). */

/** How `broker mcp` is wired into the CLI (docs/clis.md; built by src/mcp/wiring.ts). */
export type McpWiringKind = 'claude' | 'codex' | 'gemini' | 'opencode' | 'cursor' | 'droid'

export interface SpawnFacts {
  /** Permission-bypass flags to add, given the args already present (worker.md §1.1). */
  bypassArgs(args: readonly string[]): string[]
  /** How the relay MCP server is wired in; null: the CLI has no MCP support. */
  readonly mcp: McpWiringKind | null
}

export const NO_BYPASS = (): string[] => []
