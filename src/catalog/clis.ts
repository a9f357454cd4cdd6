/**
 * The CLI catalogue: what the broker knows about each agent CLI as plain data — the command names
 * that select it, the flags that turn its permission prompts off, how `broker mcp` is wired into it,
 * whether it has a headless provider. The supervisor reads it to build a spawn; the children's
 * profiles (src/pty/profiles/) and providers (src/headless/providers/) take their static facts from
 * it. Behaviour (screens, readiness, auto-answers) stays in the profiles. docs/clis.md has the table.
 */
import { basename } from 'node:path'

/** How `broker mcp` is wired into the CLI (built by src/mcp/wiring.ts). */
export type McpWiringKind = 'claude' | 'codex' | 'gemini' | 'opencode' | 'cursor' | 'droid'

/** The CLIs with a profile of their own; every other command is `generic`. */
export type CliName = 'claude' | 'codex' | 'gemini' | 'opencode' | 'droid' | 'cursor' | 'aider' | 'generic'

/**
 * The flags that turn a CLI's permission prompts off. `givenBy`: an argument that already chooses a
 * permission mode (a string: equal to it; a RegExp: matching it) — then nothing is added. Without
 * `givenBy`, each flag is added unless it is already among the arguments.
 */
export interface BypassFlags {
  readonly flags: readonly string[]
  readonly givenBy?: readonly (string | RegExp)[]
}

/** What spawn needs of a CLI: its bypass flags given the arguments so far, and its MCP wiring. */
export interface SpawnFacts {
  bypassArgs(args: readonly string[]): string[]
  /** How the relay MCP server is wired in; null: the CLI has no MCP support. */
  readonly mcp: McpWiringKind | null
}

export interface CliFacts extends SpawnFacts {
  readonly name: CliName
  /** Lowercased command basenames that select this CLI (`claude:*` also selects claude). */
  readonly commands: readonly string[]
  readonly bypass: BypassFlags
  /** True when `broker headless` has a provider of this name (src/headless/providers/). */
  readonly headless: boolean
  /**
   * Environment the CLI is started with unless the agent's own environment names the variable
   * (a user who set it decides). gemini: `GEMINI_CLI_TRUST_WORKSPACE=true` trusts the spawn folder
   * up front — answering its trust dialog instead makes gemini 0.61 restart itself without its
   * bypass flag and the relay MCP server (docs/clis.md).
   */
  readonly startEnv: Readonly<Record<string, string>>
}

/** The bypass flags to add to `args` (none when the arguments already choose a permission mode). */
export function bypassArgsFor(bypass: BypassFlags, args: readonly string[]): string[] {
  const { flags, givenBy } = bypass
  if (givenBy === undefined) return flags.filter((f) => !args.includes(f))
  const given = args.some((a) => givenBy.some((g) => (typeof g === 'string' ? a === g : g.test(a))))
  return given ? [] : [...flags]
}

function cli(facts: Omit<CliFacts, 'bypassArgs' | 'headless' | 'startEnv'> & { headless?: boolean; startEnv?: Record<string, string> }): CliFacts {
  const bypass = facts.bypass
  return Object.freeze({
    ...facts,
    headless: facts.headless ?? false,
    startEnv: Object.freeze({ ...facts.startEnv }),
    bypassArgs: (args: readonly string[]) => bypassArgsFor(bypass, args)
  })
}

const NO_BYPASS: BypassFlags = Object.freeze({ flags: [] })

export const CLI_CATALOG: Readonly<Record<CliName, CliFacts>> = Object.freeze({
  claude: cli({
    name: 'claude',
    commands: ['claude'],
    bypass: { flags: ['--dangerously-skip-permissions'], givenBy: [/dangerously-skip-permissions/] },
    mcp: 'claude',
    headless: true
  }),
  codex: cli({
    name: 'codex',
    commands: ['codex'],
    bypass: { flags: ['--dangerously-bypass-approvals-and-sandbox'], givenBy: [/dangerously-bypass/, /full-auto/] },
    mcp: 'codex'
  }),
  gemini: cli({
    name: 'gemini',
    commands: ['gemini'],
    bypass: { flags: ['--yolo'], givenBy: ['--yolo', '-y'] },
    mcp: 'gemini',
    startEnv: { GEMINI_CLI_TRUST_WORKSPACE: 'true' }
  }),
  opencode: cli({ name: 'opencode', commands: ['opencode'], bypass: NO_BYPASS, mcp: 'opencode', headless: true }),
  droid: cli({ name: 'droid', commands: ['droid'], bypass: NO_BYPASS, mcp: 'droid' }),
  // Cursor's agent CLI; `cursor` is taken to mean it.
  cursor: cli({ name: 'cursor', commands: ['agent', 'cursor-agent', 'cursor'], bypass: { flags: ['--force', '--approve-mcps'] }, mcp: 'cursor' }),
  aider: cli({ name: 'aider', commands: ['aider'], bypass: NO_BYPASS, mcp: null }),
  generic: cli({ name: 'generic', commands: [], bypass: NO_BYPASS, mcp: null })
})

const BY_COMMAND: ReadonlyMap<string, CliName> = new Map(
  Object.values(CLI_CATALOG).flatMap((c) => c.commands.map((cmd) => [cmd, c.name] as const))
)

/**
 * The catalogue name of a CLI given as a command (`claude`, `/usr/bin/codex`, `claude:opus`): the
 * lowercased basename of its first word, `claude:*` counting as `claude`; anything else is generic.
 */
export function cliNameOf(command: string): CliName {
  const first = command.trim().split(/\s+/, 1)[0] ?? ''
  let name = basename(first).toLowerCase()
  if (name.startsWith('claude:')) name = 'claude'
  return BY_COMMAND.get(name) ?? 'generic'
}

/** The catalogue entry of a CLI given as a command (see cliNameOf). */
export function cliFacts(command: string): CliFacts {
  return CLI_CATALOG[cliNameOf(command)]
}

/** The providers `broker headless` can host, by name. */
export const HEADLESS_PROVIDER_NAMES: readonly string[] = Object.values(CLI_CATALOG)
  .filter((c) => c.headless)
  .map((c) => c.name)
