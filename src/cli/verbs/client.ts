/**
 * The API client the CLI verbs share: finds the broker (`--broker-url` / `--api-key` /
 * `--state-dir`, then the environment, then `connection.json`, as `dump-pty` does), calls HTTP
 * routes, and opens WebSockets with the key in a header. Errors are `CliError`s with an exit code.
 */
import WebSocket from 'ws'
import { RemoteError } from '../../errors/index.js'
import { BrokerUnreachableError, callBroker, errorOfAnswer, type BrokerAnswer } from '../../client/http.js'
import { flagString, parseArgs, UsageError, type ParsedArgs } from '../args.js'
import { DumpPtyError, resolveBroker, type BrokerTarget } from '../dump-pty.js'

/** Exit codes of every verb (docs/cli.md). */
export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2
export const EXIT_NO_BROKER = 3
export const EXIT_NOT_FOUND = 4

/** How long one HTTP call may take before the verb gives up. */
const API_CALL_TIMEOUT_MS = 30_000

export const CONNECTION_FLAGS = ['broker-url', 'api-key', 'state-dir'] as const

export const CONNECTION_HELP = `connection (first found wins):
  --broker-url URL   the broker's URL (else RELAY_BROKER_URL, else connection.json)
  --api-key KEY      the API key (else RELAY_BROKER_API_KEY, else connection.json)
  --state-dir DIR    where connection.json is (default ./.agent-relay)`

/**
 * A verb failed: the CLI prints the message and exits with `exitCode`. Its code is a catalogue
 * code (docs/errors.md) or the one the broker answered with.
 */
export class CliError extends RemoteError {
  readonly exitCode: number
  constructor(code: string, message: string, exitCode = EXIT_FAILED) {
    super(code, 0, message)
    this.exitCode = exitCode
  }
}

export interface ApiReply {
  status: number
  body: Record<string, unknown>
}

export class BrokerClient {
  readonly target: BrokerTarget
  constructor(target: BrokerTarget) {
    this.target = target
  }

  get url(): string {
    return this.target.url
  }

  #headers(): Record<string, string> {
    return this.target.apiKey ? { 'x-api-key': this.target.apiKey } : {}
  }


  /** Calls a route; a non-2xx answer throws a CliError (404 → EXIT_NOT_FOUND, 401/403 → EXIT_NO_BROKER). */
  async call(method: string, path: string, body?: unknown): Promise<ApiReply> {
    let res: BrokerAnswer
    try {
      res = await callBroker(this.url, path, { method, headers: this.#headers(), body, timeoutMs: API_CALL_TIMEOUT_MS })
    } catch (err) {
      if (!(err instanceof BrokerUnreachableError)) throw err
      throw new CliError('broker_unreachable', `no broker answers at ${this.url} (${err.detail}); is \`broker init\` running?`, EXIT_NO_BROKER)
    }
    if (!res.ok) {
      const e = errorOfAnswer(res)
      const exit = res.status === 404 ? EXIT_NOT_FOUND : res.status === 401 ? EXIT_NO_BROKER : EXIT_FAILED
      throw new CliError(e.code, `${res.status} ${e.code}: ${e.message}`, exit)
    }
    const parsed = res.json && typeof res.json === 'object' ? (res.json as Record<string, unknown>) : {}
    return { status: res.status, body: parsed }
  }

  get(path: string): Promise<ApiReply> {
    return this.call('GET', path)
  }

  /**
   * A WebSocket on the broker (`/ws…` or an input stream), resolved once open. `onText` is
   * attached before the socket opens: frames that arrive together with the handshake (a replay)
   * are not lost.
   */
  openSocket(path: string, onText?: (text: string) => void): Promise<WebSocket> {
    const ws = new WebSocket(this.url.replace(/^http/, 'ws') + path, { headers: this.#headers() })
    if (onText) ws.on('message', (data) => onText(String(data)))
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws))
      ws.once('unexpected-response', (_req, res) => {
        reject(new CliError(`http_${res.statusCode}`, `the broker refused ${path}: HTTP ${res.statusCode}`, res.statusCode === 401 ? EXIT_NO_BROKER : EXIT_FAILED))
        ws.terminate()
      })
      ws.once('error', (err) => reject(new CliError('broker_unreachable', `no broker answers at ${this.url} (${err.message})`, EXIT_NO_BROKER)))
    })
  }
}

/** Parses a verb's argv with the connection flags added. */
export function parseVerbArgs(argv: readonly string[], valueFlags: readonly string[], boolFlags: readonly string[]): ParsedArgs {
  return parseArgs(argv, [...valueFlags, ...CONNECTION_FLAGS], [...boolFlags, 'help'])
}

export function clientFrom(args: ParsedArgs): BrokerClient {
  try {
    const target = resolveBroker(
      { brokerUrl: flagString(args, 'broker-url'), apiKey: flagString(args, 'api-key'), stateDir: flagString(args, 'state-dir') },
      process.env,
      process.cwd()
    )
    return new BrokerClient(target)
  } catch (err) {
    if (err instanceof DumpPtyError) throw new CliError(err.code, err.message, EXIT_NO_BROKER)
    throw err
  }
}

/** Runs a verb body: CliErrors become `broker <verb>: message` on stderr and the exit code. */
export async function runVerb(verb: string, help: string, argv: readonly string[], body: () => Promise<number | void>): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    const dashdash = argv.indexOf('--')
    const helpAt = Math.max(argv.indexOf('--help'), argv.indexOf('-h'))
    if (dashdash === -1 || helpAt < dashdash) {
      process.stdout.write(help.endsWith('\n') ? help : `${help}\n`)
      return
    }
  }
  try {
    const code = await body()
    if (typeof code === 'number') process.exitCode = code
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`broker ${verb}: ${err.message}\n`)
      process.exitCode = err.exitCode
      return
    }
    if (err instanceof UsageError) {
      process.stderr.write(`broker ${verb}: ${err.message}\n\n${help}\n`)
      process.exitCode = EXIT_USAGE
      return
    }
    throw err
  }
}

/** Events of one `/ws` connection as parsed objects. */
export type EventJson = { kind: string; seq?: number; name?: string; [k: string]: unknown }

/** A text-frame handler for `openSocket` that hands on parsed events. */
export function eventHandler(handler: (ev: EventJson) => void): (text: string) => void {
  return (text) => {
    let ev: unknown
    try {
      ev = JSON.parse(text)
    } catch {
      return
    }
    if (ev && typeof ev === 'object' && typeof (ev as EventJson).kind === 'string') handler(ev as EventJson)
  }
}

/** `1h02m`, `3m05s`, `12s`. */
export function formatDuration(secs: number): string {
  const s = Math.max(0, Math.floor(secs))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`
}

export function formatBytes(n: number): string {
  if (!n) return '0'
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)}kb`
  return `${(n / (1024 * 1024)).toFixed(1)}mb`
}
