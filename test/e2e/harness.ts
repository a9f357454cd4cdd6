/** Starts a real `bin/broker init` on a temp state dir and talks to it over HTTP and `/ws`. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import WebSocket from 'ws'
import { parseWsMessage } from '../../src/protocol/events.js'

export const REPO = fileURLToPath(new URL('../../../', import.meta.url))
export const BROKER_BIN = join(REPO, 'bin/broker')
export const FIXTURES = join(REPO, 'test/fixtures')
export const ECHO_CLI = `node ${join(FIXTURES, 'echo-cli.mjs')}`
export const MUTE_CLI = `node ${join(FIXTURES, 'mute-cli.mjs')}`

export interface BrokerEventJson {
  kind: string
  seq?: number
  name?: string
  [k: string]: unknown
}

export interface StartOptions {
  stateDir?: string
  /** No `--state-dir`: an ephemeral broker (its own fresh temp dir). */
  ephemeral?: boolean
  args?: string[]
  env?: NodeJS.ProcessEnv
  /** Run the broker as this user (the tests run as root). */
  uid?: number
  gid?: number
}

export class TestBroker {
  readonly proc: ChildProcess
  readonly stateDir: string
  readonly apiKey: string
  url = ''
  stderr = ''
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>

  constructor(opts: StartOptions = {}) {
    this.stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'relay-test-'))
    this.apiKey = `br_test_${Math.random().toString(16).slice(2)}`
    const where = opts.ephemeral ? [] : ['--state-dir', this.stateDir]
    this.proc = spawn(process.execPath, [BROKER_BIN, 'init', '--name', 'tester', ...where, ...(opts.args ?? [])], {
      env: { ...process.env, RELAY_BROKER_API_KEY: this.apiKey, RELAY_LOG_FORMAT: 'json', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {})
    })
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString()
    })
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })))
  }

  /** Resolves once the API line is printed; rejects if the broker exits first. */
  async ready(timeoutMs = 15_000): Promise<this> {
    const lines = createInterface({ input: this.proc.stdout! })
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`broker did not start: ${this.stderr}`)), timeoutMs)
      lines.on('line', (line) => {
        const m = /API listening on (https?:\/\/\S+)/.exec(line)
        if (m) {
          clearTimeout(timer)
          resolve(m[1]!)
        }
      })
      void this.exited.then(({ code }) => {
        clearTimeout(timer)
        reject(new Error(`broker exited with ${code} before listening: ${this.stderr}`))
      })
    })
    return this
  }

  async api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; text: string }> {
    const init: RequestInit = {
      method,
      headers: { 'x-api-key': this.apiKey, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {})
    }
    // A GET is safe to repeat: a pooled keep-alive socket that the server closed just as it was reused
    // fails the fetch ("other side closed"), and any HTTP client would simply ask again.
    const res = await fetch(this.url + path, init).catch((err: unknown) => {
      if (method !== 'GET') throw err
      return fetch(this.url + path, init)
    })
    const text = await res.text()
    let parsed: unknown = undefined
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      parsed = undefined
    }
    return { status: res.status, body: parsed, text }
  }

  events(sinceSeq = 0): EventLog {
    return new EventLog(`${this.url.replace(/^http/, 'ws')}/ws?sinceSeq=${sinceSeq}`, this.apiKey)
  }

  async spawnAgent(name: string, cli: string, extra: Record<string, unknown> = {}): Promise<any> {
    const res = await this.api('POST', '/api/spawn', { name, cli, ...extra })
    if (res.status !== 200) throw new Error(`spawn ${name} failed: ${res.status} ${res.text}`)
    return res.body
  }

  connection(): any {
    const p = join(this.stateDir, 'connection.json')
    return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return
    this.proc.kill('SIGTERM')
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 8_000)
    await this.exited
    clearTimeout(timer)
  }
}

/** Every event seen on one `/ws` connection, with waiting helpers. */
export class EventLog {
  readonly ws: WebSocket
  readonly all: BrokerEventJson[] = []
  /** Events that do not match their schema in the event catalogue; `close()` fails on any. */
  readonly malformed: string[] = []
  readonly opened: Promise<void>
  #waiters: { pred: (e: BrokerEventJson) => boolean; resolve: (e: BrokerEventJson) => void }[] = []

  constructor(url: string, apiKey: string) {
    this.ws = new WebSocket(url, { headers: { 'x-api-key': apiKey } })
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
    })
    this.ws.on('message', (data) => {
      const ev = JSON.parse(data.toString()) as BrokerEventJson
      // Every event a test sees must be one the catalogue (src/protocol/events.ts) describes.
      try {
        parseWsMessage(ev)
      } catch (err) {
        this.malformed.push(`${String(ev.kind)}: ${(err as Error).message.slice(0, 400)}`)
      }
      this.all.push(ev)
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.pred(ev)) return true
        w.resolve(ev)
        return false
      })
    })
  }

  of(kind: string, name?: string): BrokerEventJson[] {
    return this.all.filter((e) => e.kind === kind && (name === undefined || e.name === name))
  }

  /** The first event (already seen or future) matching `pred`. */
  waitFor(pred: (e: BrokerEventJson) => boolean, timeoutMs = 15_000, what = 'event'): Promise<BrokerEventJson> {
    const seen = this.all.find(pred)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; saw: ${this.all.map((e) => e.kind).join(',')}`)), timeoutMs)
      this.#waiters.push({
        pred,
        resolve: (e) => {
          clearTimeout(timer)
          resolve(e)
        }
      })
    })
  }

  waitKind(kind: string, name?: string, timeoutMs?: number): Promise<BrokerEventJson> {
    return this.waitFor((e) => e.kind === kind && (name === undefined || e.name === name), timeoutMs, `${kind}${name ? ` for ${name}` : ''}`)
  }

  /** Waits until `count` events match. */
  async waitCount(pred: (e: BrokerEventJson) => boolean, count: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.all.filter(pred).length < count) {
      if (Date.now() > deadline) throw new Error(`timed out: ${this.all.filter(pred).length}/${count} events`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  close(): void {
    this.ws.terminate()
    if (this.malformed.length > 0) throw new Error(`events outside the catalogue (src/protocol/events.ts):\n${this.malformed.join('\n')}`)
  }
}

export { processAlive as pidAlive } from '../../src/terminate/index.js'

export async function waitUntil(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export function readJsonLines(path: string): any[] {
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
}
