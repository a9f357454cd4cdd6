/**
 * Who the MCP server speaks for: the agent's identity from its environment (docs/api-agents.md):
 * RELAY_BROKER_URL, RELAY_AGENT_NAME, RELAY_AGENT_TOKEN. The wiring passes references to these
 * variables; a CLI that neither expands a reference nor passes its environment on leaves us a
 * literal `${RELAY_AGENT_TOKEN}` or nothing. Then the variable is read from the nearest ancestor
 * process that has it (the agent CLI, whose environment the broker set; Linux /proc only).
 */
import { readFileSync } from 'node:fs'
import { IDENTITY_VARS } from './wiring.js'
import { McpIdentityError } from '../errors/index.js'
export { McpIdentityError } from '../errors/index.js'

export interface AgentIdentity {
  url: string
  name: string
  token: string
}

/** Ancestor processes searched for a variable the server's own environment lacks. */
const MAX_ANCESTORS = 8

/** `${X}`, `$X`, `${env:X}`, `{env:X}`: a reference nobody expanded. */
const UNEXPANDED = /^(?:\$\{(?:env:)?[A-Z_][A-Z0-9_]*\}|\$[A-Z_][A-Z0-9_]*|\{env:[A-Z_][A-Z0-9_]*\})$/

function usable(v: string | undefined): v is string {
  return v !== undefined && v.trim() !== '' && !UNEXPANDED.test(v.trim())
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ppid = Number(fields[1])
    return Number.isInteger(ppid) && ppid > 1 ? ppid : null
  } catch {
    return null
  }
}

function environOf(pid: number): Map<string, string> {
  const env = new Map<string, string>()
  try {
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const eq = entry.indexOf('=')
      if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1))
    }
  } catch {
    // not readable (other user, not Linux): nothing from this one
  }
  return env
}

function fromAncestors(name: string): string | undefined {
  let pid: number | null = process.ppid
  for (let i = 0; i < MAX_ANCESTORS && pid !== null; i++) {
    const v = environOf(pid).get(name)
    if (usable(v)) return v
    pid = parentOf(pid)
  }
  return undefined
}

export function resolveIdentity(env: NodeJS.ProcessEnv = process.env): AgentIdentity {
  const values: Record<string, string> = {}
  const missing: string[] = []
  for (const name of IDENTITY_VARS) {
    const own = env[name]
    const v = usable(own) ? own : fromAncestors(name)
    if (v === undefined) missing.push(name)
    else values[name] = v.trim()
  }
  if (missing.length > 0) {
    throw new McpIdentityError(`broker mcp needs the agent's identity in its environment: ${missing.join(', ')} missing (run it from an agent spawned by the broker)`)
  }
  return { url: values.RELAY_BROKER_URL!.replace(/\/+$/, ''), name: values.RELAY_AGENT_NAME!, token: values.RELAY_AGENT_TOKEN! }
}
