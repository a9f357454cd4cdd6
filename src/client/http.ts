/**
 * One HTTP call to the broker's API, shared by the CLI verbs (src/cli/verbs/client.ts) and
 * `broker mcp` (src/mcp/agent-client.ts): the request with a deadline, the answer read as text
 * and JSON, and an error answer read as `{code, message}` whichever body family it has
 * (docs/errors.md).
 */
import { RemoteError } from '../errors/index.js'

export interface BrokerAnswer {
  status: number
  ok: boolean
  text: string
  /** The body parsed as JSON; null when it is empty or not JSON. */
  json: unknown
}

/** The broker could not be reached; `detail` names why (an errno code when there is one). */
export class BrokerUnreachableError extends RemoteError {
  readonly detail: string
  constructor(url: string, detail: string) {
    super('broker_unreachable', 0, `cannot reach the broker at ${url}: ${detail}`)
    this.detail = detail
  }
}

export interface BrokerRequest {
  method: string
  headers: Record<string, string>
  /** Sent as JSON (with its content-type) when given. */
  body?: unknown
  timeoutMs: number
}

export async function callBroker(baseUrl: string, path: string, req: BrokerRequest): Promise<BrokerAnswer> {
  let res: Response
  try {
    res = await fetch(baseUrl + path, {
      method: req.method,
      headers: { ...req.headers, ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      signal: AbortSignal.timeout(req.timeoutMs),
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {})
    })
  } catch (err) {
    throw new BrokerUnreachableError(baseUrl, (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message)
  }
  const text = await res.text()
  let json: unknown = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    // not JSON: the caller reads `text`
  }
  return { status: res.status, ok: res.ok, text, json }
}

/** The code and message of an error answer: `{code, message}`, `{success:false, error}` or `{error: {code, message}}`. */
export function errorOfAnswer(a: BrokerAnswer): { code: string; message: string } {
  const body = a.json && typeof a.json === 'object' ? (a.json as Record<string, unknown>) : {}
  const nested = body.error && typeof body.error === 'object' ? (body.error as Record<string, unknown>) : null
  const str = (v: unknown) => (typeof v === 'string' && v ? v : null)
  const message = str(body.message) ?? str(nested?.message) ?? str(body.error) ?? (a.text || `HTTP ${a.status}`)
  const code = str(body.code) ?? str(nested?.code) ?? `http_${a.status}`
  return { code, message }
}
