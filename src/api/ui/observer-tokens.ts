/**
 * Read-only observer tokens (`POST /api/observer-token`): a token opens the web view and the event
 * stream and every GET route, and nothing that changes state. Tokens live in the broker's memory
 * (a restart revokes them all) and expire after their TTL.
 */
import { createHash, randomBytes } from 'node:crypto'

/** How long a token lives unless the request asks for less (or more, up to the maximum). */
export const OBSERVER_TOKEN_DEFAULT_TTL_SECS = 24 * 3600
export const OBSERVER_TOKEN_MAX_TTL_SECS = 30 * 24 * 3600
/** Live tokens one broker keeps; the oldest goes first beyond this. */
const OBSERVER_TOKENS_MAX = 1000
export const OBSERVER_TOKEN_PREFIX = 'obs_'

interface Issued {
  expiresAt: number
  label: string | null
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export class ObserverTokens {
  readonly #byDigest = new Map<string, Issued>()

  issue(ttlSecs: number, label: string | null, now = Date.now()): { token: string; expiresAt: number } {
    const token = `${OBSERVER_TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`
    const expiresAt = now + ttlSecs * 1000
    this.#byDigest.set(digest(token), { expiresAt, label })
    if (this.#byDigest.size > OBSERVER_TOKENS_MAX) this.#byDigest.delete(this.#byDigest.keys().next().value!)
    return { token, expiresAt }
  }

  /** Whether `token` is a live observer token (looked up by its digest: no timing on the token itself). */
  check(token: string | null, now = Date.now()): boolean {
    if (!token || !token.startsWith(OBSERVER_TOKEN_PREFIX)) return false
    const key = digest(token)
    const issued = this.#byDigest.get(key)
    if (!issued) return false
    if (issued.expiresAt <= now) {
      this.#byDigest.delete(key)
      return false
    }
    return true
  }

  get size(): number {
    return this.#byDigest.size
  }
}

const perRuntime = new WeakMap<object, ObserverTokens>()

/** The observer tokens of one broker (keyed by its runtime). */
export function observerTokensFor(rt: object): ObserverTokens {
  let t = perRuntime.get(rt)
  if (!t) perRuntime.set(rt, (t = new ObserverTokens()))
  return t
}
