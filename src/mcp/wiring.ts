/**
 * How `broker mcp` (the relay MCP server for agents) is wired into each CLI (docs/clis.md). One function builds the flags and config files for a CLI; `broker mcp-args`
 * prints them and spawn applies them, so both always agree.
 *
 * The agent's identity (RELAY_BROKER_URL, RELAY_AGENT_NAME, RELAY_AGENT_TOKEN) is in the CLI's
 * environment. Flags and files carry REFERENCES to those variables in each CLI's own syntax,
 * never the token itself: nothing secret lands in argv (`ps`) or in a file of the project.
 * `broker mcp` also reads them from its ancestors' environment when a CLI neither expands the
 * reference nor passes its environment on (src/mcp/identity.ts).
 */
import { writeFileAtomicSync } from '../protocol/atomic-file.js'
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { McpWiringKind } from '../catalog/clis.js'
import { installPath } from '../catalog/install.js'
import { WiringError } from '../errors/index.js'
export { WiringError } from '../errors/index.js'

/** The MCP server's name in every CLI: tools appear as `mcp__relaycast__<tool>` (the reminder's names). */
export const MCP_SERVER_NAME = 'relaycast'
/** `bin/broker` of this installation. */
export const BROKER_BIN_PATH = installPath('bin', 'broker')
export const IDENTITY_VARS = ['RELAY_BROKER_URL', 'RELAY_AGENT_NAME', 'RELAY_AGENT_TOKEN'] as const

/** A JSON config file in the agent's cwd: `set` is merged in at `key` (a dotted path), other keys kept. */
export interface WiringFile {
  path: string
  key: string[]
  set: unknown
}

export interface McpWiring {
  kind: McpWiringKind
  /** Flags for the CLI's command line (appended after its other arguments). */
  args: string[]
  files: WiringFile[]
  /** Done by hand, when neither flags nor files can do it (droid has no project-level config). */
  note: string | null
}

export interface ServerCommand {
  command: string
  args: string[]
}

/** `node <broker> mcp`: absolute paths, so it works from any cwd. */
export function serverCommand(): ServerCommand {
  return { command: process.execPath, args: [BROKER_BIN_PATH, 'mcp'] }
}

function envRefs(ref: (name: string) => string): Record<string, string> {
  return Object.fromEntries(IDENTITY_VARS.map((v) => [v, ref(v)]))
}

function tomlString(s: string): string {
  return JSON.stringify(s) // a TOML basic string accepts JSON's escapes
}

/**
 * The wiring for `kind`, given the CLI's other arguments (wiring the user already did is kept:
 * an explicit `--mcp-config`, or any `mcp_servers.relaycast` override, means nothing is added).
 */
export function mcpWiring(kind: McpWiringKind, existingArgs: readonly string[] = [], server: ServerCommand = serverCommand()): McpWiring {
  const { command, args } = server
  switch (kind) {
    case 'claude': {
      if (existingArgs.some((a) => a === '--mcp-config' || a.startsWith('--mcp-config='))) return { kind, args: [], files: [], note: null }
      const config = { mcpServers: { [MCP_SERVER_NAME]: { type: 'stdio', command, args, env: envRefs((v) => `\${${v}}`) } } }
      return { kind, args: ['--mcp-config', JSON.stringify(config)], files: [], note: null }
    }
    case 'codex': {
      const out: string[] = []
      if (!existingArgs.some((a) => a.includes('check_for_update_on_startup'))) out.push('--config', 'check_for_update_on_startup=false')
      if (!existingArgs.some((a) => a.includes(`mcp_servers.${MCP_SERVER_NAME}`))) {
        const key = `mcp_servers.${MCP_SERVER_NAME}`
        out.push('--config', `${key}.command=${tomlString(command)}`)
        out.push('--config', `${key}.args=[${args.map(tomlString).join(',')}]`)
        // Codex gives MCP servers a whitelisted environment; env_vars passes these through by name.
        out.push('--config', `${key}.env_vars=[${IDENTITY_VARS.map(tomlString).join(',')}]`)
      }
      return { kind, args: out, files: [], note: null }
    }
    case 'gemini':
      return {
        kind,
        args: [],
        files: [{ path: '.gemini/settings.json', key: ['mcpServers', MCP_SERVER_NAME], set: { command, args, env: envRefs((v) => `$${v}`), trust: true } }],
        note: null
      }
    case 'opencode':
      return {
        kind,
        args: [],
        files: [
          {
            path: 'opencode.json',
            key: ['mcp', MCP_SERVER_NAME],
            set: { type: 'local', command: [command, ...args], enabled: true, environment: envRefs((v) => `{env:${v}}`) }
          }
        ],
        note: null
      }
    case 'cursor':
      return {
        kind,
        args: [],
        files: [{ path: '.cursor/mcp.json', key: ['mcpServers', MCP_SERVER_NAME], set: { command, args, env: envRefs((v) => `\${env:${v}}`) } }],
        note: null
      }
    case 'droid':
      return {
        kind,
        args: [],
        files: [],
        note: `droid keeps MCP servers in its own config: run once \`droid mcp add ${MCP_SERVER_NAME} -- ${[command, ...args].join(' ')}\` (the agent's identity is in its environment)`
      }
  }
}

/** Merges `file` into `<cwd>/<file.path>` (created if missing). Refuses a file that is not a JSON object. */
export function applyWiringFile(cwd: string, file: WiringFile): string {
  const path = join(cwd, file.path)
  let doc: Record<string, unknown> = {}
  if (existsSync(path)) {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'))
    } catch (err) {
      throw new WiringError(`${path} is not valid JSON (${(err as Error).message}); not changed`)
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new WiringError(`${path} is not a JSON object; not changed`)
    doc = parsed as Record<string, unknown>
  }
  let node = doc
  for (const k of file.key.slice(0, -1)) {
    const next = node[k]
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[k] = {}
    node = node[k] as Record<string, unknown>
  }
  node[file.key.at(-1)!] = file.set
  mkdirSync(dirname(path), { recursive: true })
  // A file the user already has keeps its mode; a new one is readable like any project config.
  const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o644
  writeFileAtomicSync(path, `${JSON.stringify(doc, null, 2)}\n`, mode)
  return path
}

/** Where `args` go in the CLI's argv: at the end, or before a `--` the user put there. */
export function appendWiringArgs(args: readonly string[], wiring: readonly string[]): string[] {
  const dashdash = args.indexOf('--')
  if (dashdash === -1) return [...args, ...wiring]
  return [...args.slice(0, dashdash), ...wiring, ...args.slice(dashdash)]
}
