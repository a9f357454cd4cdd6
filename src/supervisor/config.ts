/** What `broker init` decides before the supervisor starts (flags, environment, state dir). */
import type { Logger } from 'pino'
import type { Hub } from '../hub/types.js'
import type { BrokerPaths } from './state/paths.js'

/** Owner lease of an ephemeral broker; renewed by `POST /api/session/renew`. */
export const OWNER_LEASE_MS = 120_000

export interface RuntimeConfig {
  name: string
  paths: BrokerPaths
  apiKey: string
  /** The broker's own channels (`--channels`). */
  channels: string[]
  /** Channels for a spawn that names none. */
  defaultAgentChannels: string[]
  /**
   * Owner lease on (ephemeral brokers): once an owner renewed it (the SDK does), shut down when
   * it is not renewed in time. A broker nobody ever renewed (started by hand) keeps running.
   */
  leaseEnabled: boolean
  /** Owner lease length; default OWNER_LEASE_MS (`RELAY_OWNER_LEASE_MS`, read in cli/init.ts). */
  leaseMs?: number
  /** A 9.x client's workspace key: recorded (reported as received), not used — the workspace is local. */
  workspaceKey?: string | null
  cwd: string
  log: Logger
  /** How long a child waits to be adopted after losing this supervisor; default by durability (`RELAY_ADOPT_WINDOW_MS`, read in cli/init.ts). */
  adoptWindowMs?: number
  /** `broker init --keep-agents-on-sigterm`: SIGTERM hands the agents over instead of stopping them. */
  keepAgentsOnSigterm?: boolean
  /** The hub chosen at start (`--nats`: the team's NATS hub); default the embedded one. */
  hub?: Hub
}
