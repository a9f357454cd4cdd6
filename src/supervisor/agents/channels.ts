/**
 * Channel subscriptions of a running agent. The list lives in three places kept
 * in step: the hub (routing), the agent's spec (`spec.channels`, what a respawn uses) and its
 * state record (written by `saveState`, so a restarted broker brings the list back).
 */
import type { Hub } from '../../hub/types.js'
import type { BrokerEvent } from '../../protocol/events.js'
import type { AgentRegistry } from './registry.js'
import { UnknownAgentError } from '../../errors/index.js'
export { UnknownAgentError } from '../../errors/index.js'

/** What a channel change touches: the agent's entry, the hub's routing, the state record, the event stream. */
export interface ChannelHost {
  readonly agents: AgentRegistry
  readonly hub: Pick<Hub, 'channelsOf' | 'setChannels'>
  saveState(): Promise<void>
  emit(event: BrokerEvent): void
}

/** `current` plus the channels of `add` not already in it (case-insensitive; `ops` ≠ `#ops`). */
export function mergeChannels(current: readonly string[], add: readonly string[]): string[] {
  const out = [...current]
  const seen = new Set(current.map((c) => c.toLowerCase()))
  for (const ch of add) {
    const key = ch.toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    out.push(ch)
  }
  return out
}

/** `current` without the channels of `remove` (case-insensitive). */
export function removeChannels(current: readonly string[], remove: readonly string[]): string[] {
  const drop = new Set(remove.map((c) => c.toLowerCase()))
  return current.filter((c) => !drop.has(c.toLowerCase()))
}

export interface ChannelChange {
  name: string
  /** The full list after the change. */
  channels: string[]
  /** The channels that were really added or removed. */
  changed: string[]
}

function apply(rt: ChannelHost, name: string, op: 'subscribe' | 'unsubscribe', list: readonly string[]): ChannelChange {
  const entry = rt.agents.get(name)
  if (!entry) throw new UnknownAgentError(name, `unknown worker '${name}'`)
  const h = entry.handle
  const before = [...(rt.hub.channelsOf(h.name) ?? h.spec.channels)]
  const after = op === 'subscribe' ? mergeChannels(before, list) : removeChannels(before, list)
  const beforeKeys = new Set(before)
  const afterKeys = new Set(after)
  const changed = op === 'subscribe' ? after.filter((c) => !beforeKeys.has(c)) : before.filter((c) => !afterKeys.has(c))
  if (changed.length > 0) {
    rt.hub.setChannels(h.name, after)
    h.spec.channels = after
    rt.saveState()
    rt.emit({ kind: op === 'subscribe' ? 'channel_subscribed' : 'channel_unsubscribed', name: h.name, channels: changed })
  }
  return { name: h.name, channels: after, changed }
}

export function subscribeChannels(rt: ChannelHost, name: string, channels: readonly string[]): ChannelChange {
  return apply(rt, name, 'subscribe', channels)
}

export function unsubscribeChannels(rt: ChannelHost, name: string, channels: readonly string[]): ChannelChange {
  return apply(rt, name, 'unsubscribe', channels)
}
