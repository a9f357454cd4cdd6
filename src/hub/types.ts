/** A message as it travels through a hub, before it becomes per-agent deliveries. */
export interface HubMessage {
  event_id: string
  from: string
  /** The target exactly as the sender wrote it (`name`, `@name` or `#channel`). */
  to: string
  body: string
  thread_id: string | null
  injection_mode: 'wait' | 'steer'
  priority: number
}

export type RouteKind = 'direct' | 'channel'

export interface Route {
  kind: RouteKind
  /** Agent names that receive the message (the sender excluded). */
  targets: string[]
}

/**
 * A message hub: knows which agents exist and which channels they are in, and resolves
 * a target to recipients. The embedded hub does it in-process; a NATS hub spans brokers.
 */
export interface Hub {
  join(agent: string, channels: readonly string[]): void
  leave(agent: string): void
  setChannels(agent: string, channels: readonly string[]): void
  channelsOf(agent: string): readonly string[] | undefined
  route(to: string, from: string): Route
}
