/**
 * Local message history: the last MESSAGE_HISTORY_MAX messages that went
 * through the broker (every `relay_inbound`), and per agent the messages addressed to it
 * (its inbox, for `GET /api/agent/inbox`). Fed only by the event stream, so it sees exactly
 * what `/ws` clients see, whatever path produced the message.
 * Every message is also appended to the on-disk history (src/history/log.ts), which searches
 * scan in the offload pool; `seq` continues from it across restarts.
 */
import type { Hub } from '../../hub/types.js'
import type { DeliveryTracker } from './tracker.js'
import type { EventBus } from '../observe/events.js'
import type { HistoryLog } from '../../history/log.js'
import type { OffloadPool } from '../../offload/pool.js'
import type { SearchQuery } from '../../history/query.js'
import { searchHistory, type SearchResult } from '../../history/search.js'
import { SegmentIndexer } from '../../history/indexer.js'

/** Sends and inbounds kept for `/api/threads`, `/api/history/stats` and agent inboxes. */
export const MESSAGE_HISTORY_MAX = 1_000

/** Messages kept per agent inbox (`GET /api/agent/inbox`). */
export const AGENT_INBOX_MAX = 1_000

export interface HistoryEntry {
  /** Position in the broker's history, from 1; also the inbox cursor. */
  seq: number
  event_id: string
  from: string
  /** The target as the sender wrote it. */
  target: string
  body: string
  thread_id: string | null
  /** Unix ms when the broker accepted it. */
  at: number
  /** Agents it was addressed to, with the delivery that carries it to each (when known). */
  recipients: { name: string; delivery_id: string | null }[]
}

export interface InboxItem {
  seq: number
  event_id: string
  delivery_id: string | null
  from: string
  to: string
  body: string
  thread_id: string | null
  at: number
}

export interface HistoryDeps {
  events: EventBus
  hub: Hub
  deliveries: DeliveryTracker
  /** The on-disk history and the pool that searches it. */
  log: HistoryLog
  pool: OffloadPool
}

export class MessageHistory {
  readonly #deps: HistoryDeps
  readonly #entries: HistoryEntry[] = []
  readonly #inboxes = new Map<string, InboxItem[]>()
  #seq = 0
  #total = 0
  readonly #agentsSeen = new Set<string>()

  constructor(deps: HistoryDeps) {
    this.#deps = deps
    this.#seq = deps.log.lastSeq
    new SegmentIndexer(deps.log, deps.pool) // sealed segments get their search index in the pool
    deps.events.subscribe((ev) => {
      if (ev.event.kind === 'relay_inbound') this.#onInbound(ev.event)
      else if (ev.event.kind === 'agent_released') this.#inboxes.delete(ev.event.name)
    })
  }

  /** Oldest first. */
  entries(): readonly HistoryEntry[] {
    return this.#entries
  }

  /** Messages recorded since the broker started (not only the ones still kept). */
  get total(): number {
    return this.#total
  }

  /** Distinct senders and recipients seen. */
  get uniqueParticipants(): number {
    return this.#agentsSeen.size
  }

  /** Messages for `agent` with seq > since, oldest first, at most `limit`. */
  inbox(agent: string, since: number, limit: number): InboxItem[] {
    const items = this.#inboxes.get(agent) ?? []
    let lo = 0
    let hi = items.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (items[mid]!.seq <= since) lo = mid + 1
      else hi = mid
    }
    return items.slice(lo, lo + limit)
  }

  /** Everything on disk matching `query`, newest first (no scope: the API key sees it all). */
  search(query: SearchQuery, limit: number): Promise<SearchResult> {
    return searchHistory(this.#deps.log, this.#deps.pool, query, null, limit)
  }

  /** What `agent` could have seen: sent by it, addressed to it, or posted to a channel it is in. */
  searchAs(agent: string, query: SearchQuery, limit: number): Promise<SearchResult> {
    const channels = (this.#deps.hub.channelsOf(agent) ?? []).map((c) => c.trim().replace(/^#/, ''))
    return searchHistory(this.#deps.log, this.#deps.pool, query, { agent, channels }, limit)
  }

  /** Writes what is still buffered and closes the file. */
  close(): Promise<void> {
    return this.#deps.log.close()
  }

  #onInbound(ev: Record<string, unknown>): void {
    const event_id = String(ev.event_id ?? '')
    const from = String(ev.from ?? '')
    const target = String(ev.target ?? '')
    const body = String(ev.body ?? '')
    const thread_id = typeof ev.thread_id === 'string' ? ev.thread_id : null
    const byAgent = new Map<string, string>()
    for (const rec of this.#deps.deliveries.openRecords()) {
      if (rec.event_id === event_id) byAgent.set(rec.agent, rec.delivery_id)
    }
    const names = new Set<string>(byAgent.keys())
    for (const n of this.#deps.hub.route(target, from).targets) names.add(n)
    const entry: HistoryEntry = {
      seq: ++this.#seq,
      event_id,
      from,
      target,
      body,
      thread_id,
      at: Date.now(),
      recipients: [...names].sort().map((name) => ({ name, delivery_id: byAgent.get(name) ?? null }))
    }
    this.#total++
    this.#deps.log.append({ seq: entry.seq, event_id, from, to: target, body, thread_id, at: entry.at, recipients: entry.recipients.map((r) => r.name) })
    this.#entries.push(entry)
    if (this.#entries.length > MESSAGE_HISTORY_MAX) this.#entries.shift()
    this.#agentsSeen.add(from)
    for (const r of entry.recipients) {
      this.#agentsSeen.add(r.name)
      let box = this.#inboxes.get(r.name)
      if (!box) this.#inboxes.set(r.name, (box = []))
      box.push({ seq: entry.seq, event_id, delivery_id: r.delivery_id, from, to: target, body, thread_id, at: entry.at })
      if (box.length > AGENT_INBOX_MAX) box.shift()
    }
  }
}
