/** From a validated spawn request to the child's argv and environment. */
import { readFileSync, statSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { agentNameSchema, nameProblem } from '../../protocol/names.js'
import type { AgentSpec, RestartPolicy } from '../../protocol/frames.js'
import { CliParseError, resolveExecutable, splitCommand } from './cli-command.js'
import { wireAgentArgs } from '../../mcp/spawn.js'
import { BROKER_BIN_PATH as BROKER_BIN, WiringError } from '../../mcp/wiring.js'
import { cliFacts, HEADLESS_PROVIDER_NAMES } from '../../catalog/clis.js'
import { buildChildEnv } from './env.js'
import { SpawnError } from '../../errors/index.js'
export { SpawnError } from '../../errors/index.js'

/** A spawn request after edge validation (both spellings already merged). */
export interface SpawnRequest {
  name: string
  cli: string
  runtime: 'pty' | 'headless'
  args: string[]
  channels: string[]
  model: string | null
  task: string | null
  cwd: string | null
  team: string | null
  shadow_of: string | null
  shadow_mode: string | null
  idle_threshold_secs: number | null
  verify_window_secs: number | null
  inject_timeout_secs: number | null
  restart_policy: RestartPolicy | null
  /** A caller-chosen agent token (`agent_token`/`agentToken`); else the broker makes one. */
  agent_token?: string | null
  /** No relay MCP wiring (`skip_relay_prompt`/`skipRelayPrompt`): no MCP flags/files, no MCP reminder. */
  skip_relay_prompt?: boolean
  /** This agent's own environment variables (agent-env.ts), validated at the edge. */
  env?: Record<string, string> | null
  /** The agent's session id (`harnessConfig.sessionId`, else issued by the broker at spawn). */
  session_id?: string | null
  /** `spawnMode` as the caller sent it (recorded; `exit_after_task` is what acts on it). */
  spawn_mode?: string | null
  /** A task agent: it ends (exit code 0) once its task is done (task-exit.ts). */
  exit_after_task?: boolean
  /** JSON Schema of the result the agent submits (`agentResultSchema`). */
  result_schema?: boolean | Record<string, unknown> | null
  /** The local user the agent's CLI runs as (docs/security.md): a name, a uid or `uid:gid`. */
  run_as?: string | null
}

type OptionalSpawnFields = Omit<SpawnRequest, 'name' | 'cli' | 'runtime'>

/**
 * A spawn request from what its source knows (the API body, an older agent record): fields left
 * out (or undefined) are null, or empty for `args` and `channels`. The one place it is built.
 */
export function spawnRequest(given: Pick<SpawnRequest, 'name' | 'cli' | 'runtime'> & { [K in keyof OptionalSpawnFields]?: OptionalSpawnFields[K] | undefined }): SpawnRequest {
  const req: SpawnRequest = {
    name: given.name,
    cli: given.cli,
    runtime: given.runtime,
    args: [],
    channels: [],
    model: null,
    task: null,
    cwd: null,
    team: null,
    shadow_of: null,
    shadow_mode: null,
    idle_threshold_secs: null,
    verify_window_secs: null,
    inject_timeout_secs: null,
    restart_policy: null
  }
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (req as unknown as Record<string, unknown>)[k] = v
  return req
}

export interface PreparedSpawn {
  spec: AgentSpec
  argv: string[]
  /** Set in the child's environment over the broker's (the `run_as` user's HOME, USER, LOGNAME). */
  env?: Record<string, string>
  cwd: string
  executable: string
}

/**
 * V8 flags of every `broker pty` / `broker headless` child: a 1 MiB young generation (V8's
 * default grows to 16 MiB per semi-space during start-up and stays) — an idle child's PSS is
 * 3–5 MiB lower for a few more scavenges under load (`npm run bench`); and no V8 helper threads
 * (`--single-threaded`: garbage collection and compilation on the child's own thread, which a
 * child has to spare; each helper thread kept its own malloc arena) — an idle `broker pty cat`
 * 27.2 → 23.8 MiB PSS (4 agents, twice), and a 30 MB output flood took less CPU, not more, on the
 * loaded 2-core machine (1.6–1.9 s instead of 2.4–2.7 s; peak RSS 98 instead of 93 MiB).
 */
export const CHILD_NODE_FLAGS = ['--max-semi-space-size=1', '--single-threaded', '--optimize-for-size']

export function prepareSpawn(req: SpawnRequest, brokerCwd: string, defaultChannels: readonly string[]): PreparedSpawn {
  const problem = nameProblem(agentNameSchema, req.name) // the API checked it too; state.json and other callers too
  if (problem !== null) {
    throw new SpawnError('invalid_name', `name: ${problem}`)
  }
  const cwd = req.cwd ? resolve(brokerCwd, req.cwd) : brokerCwd
  try {
    if (!statSync(cwd).isDirectory()) throw new Error()
  } catch {
    throw new SpawnError('invalid_cwd', `cwd '${cwd}' is not a directory`)
  }
  let words: string[]
  try {
    words = splitCommand(req.cli)
  } catch (err) {
    throw new SpawnError((err as CliParseError).code, (err as Error).message)
  }
  const [command, ...inline] = words as [string, ...string[]]
  const executable = resolveExecutable(command, cwd, req.env?.PATH ?? process.env.PATH ?? '')
  if (executable === null) {
    throw new SpawnError('cli_not_found', `cli '${command}' not found (not an executable file, nor on PATH)`)
  }
  const args = [...inline, ...req.args]
  if (req.model && !args.some((a) => a === '--model' || a.startsWith('--model=') || a === '-m' || a.startsWith('-m='))) {
    args.push('--model', req.model)
  }
  // Headless: the provider is the CLI's name (docs/clis.md); its executable may live anywhere.
  const provider = req.runtime === 'headless' ? basename(command).toLowerCase() : null
  if (provider !== null && !HEADLESS_PROVIDER_NAMES.includes(provider)) {
    throw new SpawnError('unsupported_provider', `provider '${provider}' does not support headless transport (supported: ${HEADLESS_PROVIDER_NAMES.join(', ')})`)
  }
  // The CLI's catalogue entry adds its bypass flag and wires `broker mcp` (docs/clis.md).
  let wired: string[]
  try {
    wired = wireAgentArgs(cliFacts(provider ?? command), args, { cwd, skipRelayPrompt: req.skip_relay_prompt === true }).args
  } catch (err) {
    if (err instanceof WiringError) throw new SpawnError(err.code, err.message)
    throw err
  }
  const spec: AgentSpec = {
    name: req.name,
    runtime: req.runtime,
    provider,
    cli: req.cli,
    model: req.model,
    cwd,
    team: req.team,
    shadow_of: req.shadow_of,
    shadow_mode: req.shadow_mode,
    args: req.args,
    channels: req.channels.length > 0 ? req.channels : [...defaultChannels],
    restart_policy: req.restart_policy,
    verify_window_secs: req.verify_window_secs,
    inject_timeout_secs: req.inject_timeout_secs,
    ...(req.skip_relay_prompt ? { skip_relay_prompt: true } : {})
  }
  if (provider !== null) {
    if (req.run_as) throw new SpawnError('run_as_unsupported', 'run_as is supported for the pty runtime only')
    const argv = [...CHILD_NODE_FLAGS, BROKER_BIN, 'headless', '--agent-name', req.name, provider, '--bin', executable]
    if (wired.length > 0) argv.push('--', ...wired)
    return { spec, argv, cwd, executable }
  }
  const argv = [...CHILD_NODE_FLAGS, BROKER_BIN, 'pty', '--agent-name', req.name]
  if (req.idle_threshold_secs !== null) argv.push('--idle-threshold-secs', String(req.idle_threshold_secs))
  const runAs = req.run_as ? resolveRunAs(req.run_as) : null
  if (runAs) {
    spec.run_as = req.run_as!
    argv.push('--run-as-uid', String(runAs.uid), '--run-as-gid', String(runAs.gid))
  }
  argv.push(executable)
  if (wired.length > 0) argv.push('--', ...wired)
  const env = runAs ? { HOME: runAs.home, USER: runAs.user, LOGNAME: runAs.user } : undefined
  return { spec, argv, cwd, executable, ...(env ? { env } : {}) }
}

/**
 * Environment of a child: the broker's, minus its secrets, plus the agent's own `env`, plus its
 * identity and the agent API (docs/api-agents.md): `RELAY_BROKER_URL`, `RELAY_AGENT_NAME`,
 * `RELAY_AGENT_TOKEN` (agent-env.ts).
 */
export function childEnv(name: string, brokerUrl: string, agentToken: string | null = null, agentEnv: Record<string, string> | null = null): NodeJS.ProcessEnv {
  return buildChildEnv({ base: process.env, agentEnv, name, brokerUrl, agentToken })
}

// ── run_as (spawn): the local user an agent's CLI runs as (docs/security.md) ──
// A user name from /etc/passwd, a uid, or `uid:gid`. Only a root broker may use another user.

export interface RunAs {
  uid: number
  gid: number
  user: string
  home: string
}

const PASSWD_PATH = '/etc/passwd'

interface PasswdEntry {
  name: string
  uid: number
  gid: number
  home: string
}

function passwd(): PasswdEntry[] {
  let text = ''
  try {
    text = readFileSync(PASSWD_PATH, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 7 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }))
}

/** Resolves `value` and checks the broker may switch to it; throws a SpawnError saying why not. */
export function resolveRunAs(value: string): RunAs {
  const v = value.trim()
  const entries = passwd()
  let found: RunAs | null = null
  const ids = /^(\d+)(?::(\d+))?$/.exec(v)
  if (ids) {
    const uid = Number(ids[1])
    const entry = entries.find((e) => e.uid === uid)
    found = { uid, gid: ids[2] !== undefined ? Number(ids[2]) : (entry?.gid ?? uid), user: entry?.name ?? String(uid), home: entry?.home ?? '/' }
  } else {
    const entry = entries.find((e) => e.name === v)
    if (entry) found = { uid: entry.uid, gid: entry.gid, user: entry.name, home: entry.home }
  }
  if (!found) throw new SpawnError('unknown_user', `run_as '${v}': no such user in ${PASSWD_PATH} (give a user name, a uid or uid:gid)`)
  const self = process.geteuid?.()
  if (self !== undefined && self !== 0 && (found.uid !== self || found.gid !== process.getegid?.())) {
    throw new SpawnError(
      'run_as_not_permitted',
      `run_as '${v}': the broker runs as uid ${self} and may not start processes as another user (it must run as root to use run_as)`
    )
  }
  return found
}
