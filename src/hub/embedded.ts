/** The default hub: in-process routing by agent name and `#channel`, zero set-up. */
import type { Hub, Route } from './types.js'

export function normalizeChannel(channel: string): string {
  const c = channel.trim()
  return c.startsWith('#') ? c : `#${c}`
}

function directName(to: string): string {
  const t = to.trim()
  return (t.startsWith('@') ? t.slice(1) : t).toLowerCase()
}

export class EmbeddedHub implements Hub {
  /** agent name → its channels as given (for listing). */
  readonly #channels = new Map<string, string[]>()
  /** normalised `#channel` → member agent names. */
  readonly #members = new Map<string, Set<string>>()
  /** lower-cased name → agent name. */
  readonly #byLowerName = new Map<string, string>()

  join(agent: string, channels: readonly string[]): void {
    this.#byLowerName.set(agent.toLowerCase(), agent)
    this.setChannels(agent, channels)
  }

  leave(agent: string): void {
    this.setChannels(agent, [])
    this.#channels.delete(agent)
    this.#byLowerName.delete(agent.toLowerCase())
  }

  setChannels(agent: string, channels: readonly string[]): void {
    for (const old of this.#channels.get(agent) ?? []) {
      const key = normalizeChannel(old)
      const set = this.#members.get(key)
      set?.delete(agent)
      if (set && set.size === 0) this.#members.delete(key)
    }
    this.#channels.set(agent, [...channels])
    for (const ch of channels) {
      const key = normalizeChannel(ch)
      let set = this.#members.get(key)
      if (!set) this.#members.set(key, (set = new Set()))
      set.add(agent)
    }
  }

  channelsOf(agent: string): readonly string[] | undefined {
    return this.#channels.get(agent)
  }

  route(to: string, from: string): Route {
    const sender = directName(from.startsWith('human:') ? from.slice(6) : from)
    const target = to.trim()
    if (target.startsWith('#')) {
      const members = this.#members.get(normalizeChannel(target))
      const targets = members ? [...members].filter((n) => n.toLowerCase() !== sender).sort() : []
      return { kind: 'channel', targets }
    }
    const name = this.#byLowerName.get(directName(target))
    return { kind: 'direct', targets: name !== undefined && name.toLowerCase() !== sender ? [name] : [] }
  }
}
