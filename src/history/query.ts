/**
 * Message search semantics, shared by the supervisor (parsing) and the search worker (matching).
 * Pure: no I/O, no imports, so a worker thread loads it in microseconds.
 *
 * - `q`: whitespace-separated terms, `"a quoted phrase"` is one term. Every term must occur in the
 *   message body (AND), as a substring, case-insensitively. An empty `q` matches every body.
 * - `from`: the sender's name; `to`: the agent a direct message was addressed to (`bob` or `@bob`);
 *   `channel`: the channel a post went to (`ops` or `#ops`). Names compare case-insensitively.
 * - scope (agent callers): only what that agent could have seen — messages it sent, messages it
 *   was a recipient of, and posts to channels it is in now. Names in the scope compare exactly.
 */

/** One line of the on-disk history (`history/messages-NNNNNN.jsonl`). */
export interface HistoryRecord {
  seq: number
  event_id: string
  from: string
  /** The target as the sender wrote it: `name`, `@name` or `#channel`. */
  to: string
  body: string
  thread_id: string | null
  /** Unix ms when the broker accepted it. */
  at: number
  /** Agents it was addressed to. */
  recipients: string[]
}

export interface SearchQuery {
  /** Lower-cased, de-duplicated terms; every one must occur in the body. */
  terms: string[]
  from: string | null
  to: string | null
  channel: string | null
}

export interface SearchScope {
  agent: string
  /** Channels (without `#`) the agent is in now. */
  channels: string[]
}

/** Most terms a query may have (the rest of a very long q is refused, not silently cut). */
export const SEARCH_TERMS_MAX = 32

export function parseTerms(q: string): string[] {
  const out: string[] = []
  const re = /"([^"]*)"|(\S+)/g
  for (let m = re.exec(q); m !== null; m = re.exec(q)) {
    const term = (m[1] ?? m[2] ?? '').trim().toLowerCase()
    if (term && !out.includes(term)) out.push(term)
  }
  return out
}

function bare(name: string | null | undefined, sigil: string): string | null {
  if (name === null || name === undefined) return null
  const n = name.trim().replace(sigil === '#' ? /^#/ : /^@/, '').toLowerCase()
  return n.length > 0 ? n : null
}

export function buildQuery(input: { q?: string | null; from?: string | null; to?: string | null; channel?: string | null }): SearchQuery {
  return {
    terms: parseTerms(input.q ?? ''),
    from: bare(input.from, '@'),
    to: bare(input.to, '@'),
    channel: bare(input.channel, '#')
  }
}

export function visibleTo(rec: HistoryRecord, scope: SearchScope): boolean {
  if (rec.from === scope.agent) return true
  if (rec.recipients.includes(scope.agent)) return true
  return rec.to.startsWith('#') && scope.channels.includes(rec.to.slice(1))
}

export function matches(rec: HistoryRecord, query: SearchQuery, scope: SearchScope | null): boolean {
  if (query.from !== null && rec.from.toLowerCase() !== query.from) return false
  if (query.to !== null && (rec.to.startsWith('#') || rec.to.replace(/^@/, '').toLowerCase() !== query.to)) return false
  if (query.channel !== null && (!rec.to.startsWith('#') || rec.to.slice(1).toLowerCase() !== query.channel)) return false
  if (query.terms.length > 0) {
    const body = rec.body.toLowerCase()
    for (const t of query.terms) if (!body.includes(t)) return false
  }
  return scope === null || visibleTo(rec, scope)
}

/**
 * Whether the raw JSON line of a record must contain every term (lower-cased) when its body
 * does: true unless a term holds a character JSON escapes (`"`, `\`, controls, surrogates) or
 * one whose lower case depends on its neighbours (Greek sigma). The worker uses it to skip
 * parsing lines that cannot match.
 */
export function rawLinePrefilterSafe(terms: readonly string[]): boolean {
  // eslint-disable-next-line no-control-regex
  return terms.every((t) => !/["\\\u0000-\u001f\ud800-\udfff\u03c2\u03c3]/.test(t))
}
