/**
 * `broker dump-pty <name> [--format plain|ansi] [--broker-url URL] [--api-key KEY] [--state-dir DIR]`:
 * prints an agent's rendered screen. The broker is found by
 * URL: `--broker-url`, else `RELAY_BROKER_URL`, else `<state-dir or ./.agent-relay>/connection.json`;
 * key: `--api-key`, else `RELAY_BROKER_API_KEY`, else that file. Plain prints the text rows;
 * ansi writes the byte stream that redraws the screen on a terminal.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { flagString, parseArgs, UsageError } from './args.js'
import { DumpPtyError } from '../errors/index.js'
export { DumpPtyError } from '../errors/index.js'

export interface BrokerTarget {
  url: string
  apiKey: string | null
}

interface ConnectionFile {
  url?: unknown
  api_key?: unknown
}

function readConnection(path: string): ConnectionFile | null {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return null
  }
  try {
    const parsed = JSON.parse(text) as unknown
    return parsed && typeof parsed === 'object' ? (parsed as ConnectionFile) : null
  } catch {
    throw new DumpPtyError('invalid_connection_file', `${path} is not valid JSON`)
  }
}

/** Where the broker is and which key to use (flags, then environment, then connection.json). */
export function resolveBroker(
  opts: { brokerUrl?: string | undefined; apiKey?: string | undefined; stateDir?: string | undefined },
  env: NodeJS.ProcessEnv,
  cwd: string
): BrokerTarget {
  const connPath = join(opts.stateDir ? resolve(cwd, opts.stateDir) : join(cwd, '.agent-relay'), 'connection.json')
  let conn: ConnectionFile | null | undefined
  const file = () => (conn === undefined ? (conn = readConnection(connPath)) : conn)
  const url = opts.brokerUrl?.trim() || env.RELAY_BROKER_URL?.trim() || (typeof file()?.url === 'string' ? (file()!.url as string) : '')
  if (!url) {
    throw new DumpPtyError('broker_not_found', `no broker found: pass --broker-url, set RELAY_BROKER_URL, or start one with a state dir (${connPath} does not exist)`)
  }
  const key = opts.apiKey?.trim() || env.RELAY_BROKER_API_KEY?.trim() || (typeof file()?.api_key === 'string' ? (file()!.api_key as string) : '')
  return { url: url.replace(/\/+$/, ''), apiKey: key || null }
}

export async function fetchSnapshot(target: BrokerTarget, name: string, format: 'plain' | 'ansi'): Promise<{ screen: string; format: string }> {
  let res: Response
  try {
    res = await fetch(`${target.url}/api/spawned/${encodeURIComponent(name)}/snapshot?format=${format}`, {
      headers: target.apiKey ? { 'x-api-key': target.apiKey } : {}
    })
  } catch (err) {
    throw new DumpPtyError('broker_unreachable', `cannot reach the broker at ${target.url}: ${(err as Error).message}`)
  }
  const text = await res.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    // non-JSON error body
  }
  if (!res.ok) {
    const nested = body.error && typeof body.error === 'object' ? (body.error as Record<string, unknown>) : null
    const message = (typeof body.message === 'string' && body.message) || (nested && typeof nested.message === 'string' && nested.message) || text || res.statusText
    const code = (typeof body.code === 'string' && body.code) || (nested && typeof nested.code === 'string' && nested.code) || `http_${res.status}`
    throw new DumpPtyError(code, `${res.status}: ${message}`)
  }
  if (typeof body.screen !== 'string') throw new DumpPtyError('invalid_response', 'the broker sent no screen')
  return { screen: body.screen, format: String(body.format ?? format) }
}

export async function runDumpPtyCommand(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['format', 'broker-url', 'api-key', 'state-dir'], [])
  const [name, extra] = args.positionals
  if (!name) throw new UsageError('dump-pty needs the agent name')
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`)
  const format = (flagString(args, 'format') ?? 'plain').trim().toLowerCase()
  if (format !== 'plain' && format !== 'ansi') throw new UsageError(`--format must be plain or ansi, got '${format}'`)
  try {
    const target = resolveBroker(
      { brokerUrl: flagString(args, 'broker-url'), apiKey: flagString(args, 'api-key'), stateDir: flagString(args, 'state-dir') },
      process.env,
      process.cwd()
    )
    const snap = await fetchSnapshot(target, name, format)
    const out = format === 'ansi' ? Buffer.from(snap.screen, 'base64') : Buffer.from(snap.screen, 'utf8')
    await new Promise<void>((done) => process.stdout.write(out, () => done()))
  } catch (err) {
    if (err instanceof DumpPtyError) {
      process.stderr.write(`broker dump-pty: ${err.message}\n`)
      process.exitCode = 1
      return
    }
    throw err
  }
}
