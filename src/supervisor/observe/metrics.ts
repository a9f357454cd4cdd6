/**
 * Supervision counters: per agent and for the broker — spawns,
 * crashes, restarts, releases, permanent deaths, delivery outcomes — fed by AgentLifecycle and
 * by the event stream. Reading (`/api/metrics`) is in routes-health.ts via `metricsSnapshot`.
 */
import { eventAgent } from '../../protocol/event-kinds.js'
import type { EventBus } from './events.js'

export type AgentStatus = 'starting' | 'healthy' | 'restarting' | 'dead' | 'released' | 'exited'

export interface AgentCounters {
  spawns: number
  crashes: number
  restarts: number
  releases: number
  status: AgentStatus
  /** Epoch ms of the last (re)start. */
  last_spawn_ms: number
  deliveries_verified: number
  deliveries_failed: number
  deliveries_dead_lettered: number
}

const OUTCOMES: Record<string, 'deliveries_verified' | 'deliveries_failed' | 'deliveries_dead_lettered'> = {
  delivery_verified: 'deliveries_verified',
  delivery_failed: 'deliveries_failed',
  delivery_dead_lettered: 'deliveries_dead_lettered'
}

export class SupervisionMetrics {
  readonly startedAt = Date.now()
  readonly agents = new Map<string, AgentCounters>()
  totalSpawned = 0
  totalCrashes = 0
  totalRestarts = 0
  totalPermanentDeaths = 0
  /** Times a child's stdin went over the high-water mark. */
  stdinCongestions = 0

  #of(name: string): AgentCounters {
    let c = this.agents.get(name)
    if (!c) {
      c = { spawns: 0, crashes: 0, restarts: 0, releases: 0, status: 'starting', last_spawn_ms: 0, deliveries_verified: 0, deliveries_failed: 0, deliveries_dead_lettered: 0 }
      this.agents.set(name, c)
    }
    return c
  }

  get(name: string): AgentCounters | undefined {
    return this.agents.get(name)
  }

  onSpawn(name: string): void {
    const c = this.#of(name)
    c.spawns++
    c.status = 'starting'
    c.last_spawn_ms = Date.now()
    this.totalSpawned++
  }

  onReady(name: string): void {
    this.#of(name).status = 'healthy'
  }

  onCrash(name: string): void {
    this.#of(name).crashes++
    this.#of(name).status = 'restarting'
    this.totalCrashes++
  }

  onRestart(name: string): void {
    const c = this.#of(name)
    c.restarts++
    c.status = 'starting'
    c.last_spawn_ms = Date.now()
    this.totalRestarts++
  }

  onRelease(name: string): void {
    const c = this.#of(name)
    c.releases++
    c.status = 'released'
  }

  onPermanentDeath(name: string): void {
    this.#of(name).status = 'dead'
    this.totalPermanentDeaths++
  }

  onFinalExit(name: string): void {
    this.#of(name).status = 'exited'
  }

  /** Counts delivery outcomes from the event stream (only those durable kinds are parsed). */
  follow(events: Pick<EventBus, 'subscribe'>): () => void {
    return events.subscribe((ev) => {
      const field = OUTCOMES[ev.kind]
      if (field === undefined) return
      const name = eventAgent(ev.event)
      const c = name === null ? undefined : this.agents.get(name)
      if (c) c[field]++
    })
  }
}
