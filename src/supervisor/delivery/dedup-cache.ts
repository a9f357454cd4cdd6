
/** Idempotency keys of `/api/send`. */
export const DEDUP_TTL_MS = 300_000

export const DEDUP_MAX_ENTRIES = 8_192
/** Insert-if-new keys with a time to live and a size bound, oldest evicted first. */

export class DedupCache<V> {
  readonly #entries = new Map<string, { at: number; value: V }>()
  readonly #ttlMs: number
  readonly #max: number

  constructor(ttlMs = DEDUP_TTL_MS, max = DEDUP_MAX_ENTRIES) {
    this.#ttlMs = ttlMs
    this.#max = max
  }

  get(key: string, nowMs = Date.now()): V | undefined {
    const e = this.#entries.get(key)
    if (!e || nowMs - e.at >= this.#ttlMs) return undefined
    return e.value
  }

  set(key: string, value: V, nowMs = Date.now()): void {
    this.restore(key, nowMs, value, nowMs)
  }

  /** Puts back an entry created at `atMs` (from the journal); expired ones are ignored. */
  restore(key: string, atMs: number, value: V, nowMs = Date.now()): void {
    if (nowMs - atMs >= this.#ttlMs || this.#entries.has(key)) return
    this.#entries.set(key, { at: atMs, value })
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!)
  }

  /** Drops expired entries (they were inserted in time order, so from the front). */
  purge(nowMs = Date.now()): void {
    for (const [key, e] of this.#entries) {
      if (nowMs - e.at < this.#ttlMs) break
      this.#entries.delete(key)
    }
  }

  get size(): number {
    return this.#entries.size
  }
}

/** Work under a key that is still under way (a send being journaled): a second call with the key gets the first one's outcome. */
export class InFlight<V> {
  readonly #runs = new Map<string, Promise<V>>()

  /** `run()`, unless a run for `key` is under way: then its value through `again`, or a run of its own if it fails. */
  async once(key: string, run: () => Promise<V>, again: (v: V) => V): Promise<V> {
    const pending = this.#runs.get(key)
    if (pending) return pending.then(again, () => this.once(key, run, again))
    const p = run()
    this.#runs.set(key, p)
    try {
      return await p
    } finally {
      this.#runs.delete(key)
    }
  }
}
