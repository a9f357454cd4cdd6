/**
 * Per-agent environment (spawn field `env`): which names a spawn may set, what a child inherits
 * from the broker, and how the variables are shown by list endpoints.
 *
 * - A child gets the broker's environment minus the broker's own secrets (its API key and the
 *   workspace-key variables a 9.x client sets), then the agent's `env`, then its identity
 *   (`RELAY_AGENT_NAME`, `RELAY_BROKER_URL`, `RELAY_AGENT_TOKEN`), which a spawn cannot override.
 *   A broker secret reaches an agent only when its spawn names it with a value.
 * - List endpoints show names, and values only when neither the name nor the value looks secret.
 */
import { AgentEnvError } from '../../errors/index.js'
export { AgentEnvError } from '../../errors/index.js'

/** Environment variables that are the broker's own credentials: never inherited by an agent. */
export const BROKER_SECRET_ENV_NAMES: readonly string[] = [
  'RELAY_BROKER_API_KEY',
  'RELAY_API_KEY',
  'RELAY_WORKSPACE_KEY',
  'AGENT_RELAY_WORKSPACE_KEY'
]

/** Set by the broker for every agent (identity, agent API, process marker): a spawn cannot set them. */
export const RESERVED_AGENT_ENV_NAMES: readonly string[] = [
  'RELAY_AGENT_NAME',
  'RELAY_AGENT_TYPE',
  'RELAY_AGENT_TOKEN',
  'RELAY_BROKER_URL',
  'RELAY_WORKER_MARK'
]

export const AGENT_ENV_MAX_VARS = 256
export const AGENT_ENV_NAME_MAX_CHARS = 256
export const AGENT_ENV_VALUE_MAX_BYTES = 128 * 1024

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Checks names and values; returns a plain copy. */
export function validateAgentEnv(env: Record<string, unknown>, field = 'env'): Record<string, string> {
  const entries = Object.entries(env)
  if (entries.length > AGENT_ENV_MAX_VARS) throw new AgentEnvError(`${field}: at most ${AGENT_ENV_MAX_VARS} variables, got ${entries.length}`)
  const out: Record<string, string> = {}
  for (const [name, value] of entries) {
    if (name.length > AGENT_ENV_NAME_MAX_CHARS || !ENV_NAME.test(name)) {
      throw new AgentEnvError(`${field}: invalid variable name ${JSON.stringify(name.slice(0, 80))} (letters, digits and '_', not starting with a digit)`)
    }
    if (RESERVED_AGENT_ENV_NAMES.includes(name)) {
      throw new AgentEnvError(`${field}: ${name} is set by the broker for every agent and cannot be overridden`)
    }
    if (typeof value !== 'string') throw new AgentEnvError(`${field}.${name} must be a string`)
    if (value.includes('\0')) throw new AgentEnvError(`${field}.${name} contains a NUL byte`)
    if (Buffer.byteLength(value) > AGENT_ENV_VALUE_MAX_BYTES) throw new AgentEnvError(`${field}.${name} is over ${AGENT_ENV_VALUE_MAX_BYTES} bytes`)
    out[name] = value
  }
  return out
}

/**
 * A child's environment: `base` (the broker's) without the broker's secrets, then the agent's
 * own variables, then its identity.
 */
export function buildChildEnv(opts: {
  base: NodeJS.ProcessEnv
  agentEnv: Readonly<Record<string, string>> | null | undefined
  name: string
  brokerUrl: string
  agentToken: string | null
}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...opts.base }
  for (const secret of BROKER_SECRET_ENV_NAMES) delete env[secret]
  delete env.CLAUDECODE
  delete env.RELAY_AGENT_TOKEN
  for (const [k, v] of Object.entries(opts.agentEnv ?? {})) env[k] = v
  env.RELAY_AGENT_NAME = opts.name
  env.RELAY_AGENT_TYPE = 'agent'
  env.RELAY_BROKER_URL = opts.brokerUrl
  if (opts.agentToken) env.RELAY_AGENT_TOKEN = opts.agentToken
  return env
}

const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|SIGNATURE|DSN)/i
const SECRET_VALUE = [
  /^(sk|pk|rk|ak|at|br)[-_]/i, // provider / relay key prefixes (sk-ant-…, sk_live_…, br_…)
  /^(ghp|gho|ghs|ghu|github_pat|glpat|xox[abpr])[-_]/i,
  /^AKIA[0-9A-Z]{12,}/,
  /^(Bearer|Basic)\s/i,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /^eyJ[\w-]+\.[\w-]+\./, // a JWT
  /:\/\/[^/\s:@]+:[^/\s@]+@/ // credentials inside a URL
]

/** Whether a variable should not be echoed: by its name, or by what its value looks like. */
export function looksSecret(name: string, value: string): boolean {
  if (SECRET_NAME.test(name)) return true
  if (SECRET_VALUE.some((re) => re.test(value))) return true
  // A long unbroken high-entropy token (no spaces, no path or URL shape).
  return value.length >= 32 && /^[A-Za-z0-9+/=_-]+$/.test(value) && /[0-9]/.test(value) && /[A-Za-z]/.test(value)
}

export const REDACTED = '[redacted]'

/** The `env` of an agent as list endpoints show it. */
export function redactedEnv(env: Readonly<Record<string, string>> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env ?? {})) out[k] = looksSecret(k, v) ? REDACTED : v
  return out
}
