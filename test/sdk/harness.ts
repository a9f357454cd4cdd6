/** Helpers for driving bin/broker through the published @agent-relay/sdk 6.3.6 client. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AgentRelayClient } from '@agent-relay/sdk/client'
import type { BrokerEvent } from '@agent-relay/sdk/protocol'
import { BROKER_BIN } from '../e2e/harness.js'

export type Ev = BrokerEvent & Record<string, any>

/** Every event the client's `onEvent` delivered, with waiting helpers. */
export class Seen {
  readonly all: Ev[] = []
  readonly #waiters: { pred: (e: Ev) => boolean; resolve: (e: Ev) => void }[] = []
  readonly off: () => void

  /** Any client with `onEvent` (6.3.6 `AgentRelayClient`, 9.x `HarnessDriverClient`). */
  constructor(client: { onEvent(listener: (e: any) => void): () => void }) {
    this.off = client.onEvent((e: unknown) => {
      const ev = e as Ev
      this.all.push(ev)
      for (let i = this.#waiters.length - 1; i >= 0; i--) {
        const w = this.#waiters[i]!
        if (w.pred(ev)) {
          this.#waiters.splice(i, 1)
          w.resolve(ev)
        }
      }
    })
  }

  waitFor(pred: (e: Ev) => boolean, what: string, timeoutMs = 15_000): Promise<Ev> {
    const seen = this.all.find(pred)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; saw ${this.all.map((e) => e.kind).join(',')}`)), timeoutMs)
      this.#waiters.push({
        pred,
        resolve: (e) => {
          clearTimeout(timer)
          resolve(e)
        }
      })
    })
  }

  kind(kind: string, name?: string): Promise<Ev> {
    return this.waitFor((e) => e.kind === kind && (name === undefined || e.name === name), `${kind}${name ? ` ${name}` : ''}`)
  }

  forEvent(eventId: string): Ev[] {
    return this.all.filter((e) => e.event_id === eventId)
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export interface SdkBrokerOptions {
  dir: string
  env?: NodeJS.ProcessEnv
  persist?: boolean
}

/** `AgentRelayClient.spawn` on our bin/broker, state in `dir`. */
export function spawnBroker(opts: SdkBrokerOptions): Promise<AgentRelayClient> {
  return AgentRelayClient.spawn({
    binaryPath: BROKER_BIN,
    brokerName: 'sdk',
    cwd: opts.dir,
    env: { ...process.env, RELAY_LOG_FORMAT: 'json', ...opts.env },
    binaryArgs: { stateDir: opts.dir, ...(opts.persist ? { persist: true } : {}) },
    startupTimeoutMs: 15_000,
    requestTimeoutMs: 15_000
  })
}
