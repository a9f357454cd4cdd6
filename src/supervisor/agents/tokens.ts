/**
 * Per-agent tokens for the agent API (`/api/agent/*`, docs/api-agents.md). Each spawned agent
 * gets a random token in its environment (`RELAY_AGENT_TOKEN`); a request carrying it acts as
 * that agent and nothing else. Tokens live in memory and in the agent's state record, so a
 * broker restarted on the same state dir hands a respawned agent the token it had.
 *
 * Look-ups go through a SHA-256 digest of the presented token, so the map is never searched
 * with the secret itself and comparison time does not depend on how much of it matched.
 */
import { createHash, randomBytes } from 'node:crypto'
import { AgentTokenError } from '../../errors/index.js'
export { AgentTokenError } from '../../errors/index.js'

/** Prefix of generated tokens (`at_` + 32 hex), as the original's agent tokens. */
export const AGENT_TOKEN_PREFIX = 'at_'

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export function generateAgentToken(): string {
  return `${AGENT_TOKEN_PREFIX}${randomBytes(16).toString('hex')}`
}

export class AgentTokens {
  readonly #byName = new Map<string, string>()
  readonly #byDigest = new Map<string, string>()
  readonly #forbidden: string | null

  /** `adminKey`: a token may never equal the broker's API key. */
  constructor(adminKey: string | null = null) {
    this.#forbidden = adminKey ? digest(adminKey.trim()) : null
  }

  /**
   * The token of `name`: the one it already has (a restart keeps it), else `explicit` when the
   * spawn request carried one (`agent_token`), else a fresh random one.
   */
  issue(name: string, explicit: string | null = null): string {
    const wanted = explicit?.trim() || null
    const current = this.#byName.get(name)
    if (current !== undefined && (wanted === null || wanted === current)) return current
    const token = wanted ?? generateAgentToken()
    const d = digest(token)
    if (d === this.#forbidden) throw new AgentTokenError('agent_token must not be the broker API key')
    const owner = this.#byDigest.get(d)
    if (owner !== undefined && owner !== name) throw new AgentTokenError('agent_token is already used by another agent')
    this.revoke(name)
    this.#byName.set(name, token)
    this.#byDigest.set(d, name)
    return token
  }

  /** The agent a presented token belongs to, or null. */
  agentFor(token: string): string | null {
    const t = token.trim()
    if (!t) return null
    return this.#byDigest.get(digest(t)) ?? null
  }

  /** The token currently held by `name` (for its state record). */
  tokenOf(name: string): string | null {
    return this.#byName.get(name) ?? null
  }

  revoke(name: string): void {
    const token = this.#byName.get(name)
    if (token === undefined) return
    this.#byName.delete(name)
    this.#byDigest.delete(digest(token))
  }

  /**
   * Remembers the tokens of a previous run's state file (`{agents: {name: {agent_token}}}`),
   * so agents respawned from it keep their identity. Bad records are ignored.
   */
  restore(state: unknown): number {
    const agents = (state as { agents?: unknown } | null | undefined)?.agents
    if (!agents || typeof agents !== 'object') return 0
    let n = 0
    for (const [name, rec] of Object.entries(agents as Record<string, unknown>)) {
      const token = (rec as { agent_token?: unknown } | null)?.agent_token
      if (typeof token !== 'string' || !token.trim()) continue
      try {
        this.issue(name, token)
        n++
      } catch {
        // a clash with the API key or another agent: that agent gets a fresh token when spawned
      }
    }
    return n
  }
}

/**
 * Ends an agent's token when the agent is gone for good: released, permanently dead, or exited
 * with nothing bringing it back (not listed any more once the exit has been handled).
 */
export function revokeTokensOnDeparture(
  events: { subscribe(fn: (ev: { kind: string; event: Record<string, unknown> }) => void): () => void },
  tokens: AgentTokens,
  isRunning: (name: string) => boolean
): () => void {
  return events.subscribe((ev) => {
    if (ev.kind !== 'agent_released' && ev.kind !== 'agent_permanently_dead' && ev.kind !== 'agent_exited') return
    const name = ev.event.name
    if (typeof name !== 'string') return
    if (ev.kind === 'agent_exited') {
      setImmediate(() => {
        if (!isRunning(name)) tokens.revoke(name)
      })
    } else {
      tokens.revoke(name)
    }
  })
}
