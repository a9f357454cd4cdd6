/**
 * `GET /api/threads` from the local history: thread id,
 * display name, unread count, last message preview, sorted most recent first.
 */
import type { HistoryEntry } from '../../supervisor/delivery/history.js'

/** `lastMessage` previews in `/api/threads` are cut to this many UTF-8 bytes (then `...`). */
export const THREAD_PREVIEW_MAX_BYTES = 200

export interface ThreadInfo {
  threadId: string
  name: string
  unreadCount: number
  lastMessage?: string
  lastMessageAt?: string
}

function bare(s: string): string {
  const t = s.trim()
  return t.startsWith('@') ? t.slice(1) : t
}

function isConversationId(s: string): boolean {
  return s.startsWith('conv_') || s.startsWith('dm_') || /^\d+$/.test(s)
}

/** The thread a message belongs to: explicit id, else its channel, else the pair of names. */
export function threadIdOf(e: Pick<HistoryEntry, 'thread_id' | 'target' | 'from'>): string {
  if (e.thread_id && e.thread_id.trim()) return e.thread_id.trim()
  const target = e.target.trim()
  if (target.startsWith('#')) return target
  if (isConversationId(target)) return target
  const [a, b] = [bare(e.from).toLowerCase(), bare(target).toLowerCase()].sort()
  return `direct:${a}:${b}`
}

function isSelf(name: string, self: string): boolean {
  return bare(name).toLowerCase() === self.toLowerCase()
}

export function threadNameOf(e: Pick<HistoryEntry, 'thread_id' | 'target' | 'from'>, threadId: string, self: string): string {
  if (threadId.startsWith('#')) return threadId
  if (e.from.trim() && !isSelf(e.from, self)) return bare(e.from)
  const target = e.target.trim()
  if (target.startsWith('#')) return target
  if (target && target !== threadId && !isSelf(target, self) && !isConversationId(target)) return bare(target)
  return threadId
}

/** Trimmed, cut to THREAD_PREVIEW_MAX_BYTES on a character boundary, `...` appended when cut. */
export function preview(text: string): string {
  const t = text.trim()
  if (Buffer.byteLength(t) <= THREAD_PREVIEW_MAX_BYTES) return t
  let out = ''
  let bytes = 0
  for (const ch of t) {
    const n = Buffer.byteLength(ch)
    if (bytes + n > THREAD_PREVIEW_MAX_BYTES) break
    out += ch
    bytes += n
  }
  return `${out}...`
}

/** RFC 3339 with a `+00:00` offset, as the original writes `lastMessageAt`. */
export function rfc3339Offset(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00')
}

export function buildThreads(entries: readonly HistoryEntry[], self: string): ThreadInfo[] {
  const byId = new Map<string, ThreadInfo & { sortKey: number }>()
  for (const e of entries) {
    const threadId = threadIdOf(e)
    const name = threadNameOf(e, threadId, self)
    const unread = e.from.trim() && !isSelf(e.from, self) ? 1 : 0
    let t = byId.get(threadId)
    if (!t) {
      t = { threadId, name, unreadCount: 0, sortKey: -1 }
      byId.set(threadId, t)
    }
    t.unreadCount += unread
    if (t.name === t.threadId) t.name = name
    if (e.at >= t.sortKey) {
      t.sortKey = e.at
      t.name = name
      t.lastMessage = preview(e.body)
      t.lastMessageAt = rfc3339Offset(e.at)
    }
  }
  return [...byId.values()]
    .sort((a, b) => b.sortKey - a.sortKey || (a.threadId < b.threadId ? -1 : a.threadId > b.threadId ? 1 : 0))
    .map(({ sortKey: _s, ...t }) => t)
}
