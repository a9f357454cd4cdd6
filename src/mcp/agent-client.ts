/** The agent API client (docs/api-agents.md): what `broker mcp`'s tools call, as the agent. */
import type { AgentIdentity } from './identity.js'
import { BrokerUnreachableError, callBroker, errorOfAnswer, type BrokerAnswer } from '../client/http.js'
import { AgentApiError } from '../errors/index.js'
export { AgentApiError } from '../errors/index.js'

/** `broker mcp`: deadline of one call to the broker's agent API. */
export const MCP_HTTP_TIMEOUT_MS = 10_000

export interface SendResult {
  event_id: string
  targets: string[]
  deliveries: { name: string; delivery_id: string }[]
  [k: string]: unknown
}

export interface SendBody {
  to: string
  text: string
  thread_id?: string | undefined
  mode?: 'wait' | 'steer' | undefined
}

export class AgentClient {
  readonly #id: AgentIdentity

  constructor(id: AgentIdentity) {
    this.#id = id
  }

  get name(): string {
    return this.#id.name
  }

  send(body: SendBody): Promise<SendResult> {
    return this.#call('POST', '/api/agent/send', body) as Promise<SendResult>
  }

  inbox(since?: number, limit?: number): Promise<unknown> {
    const q = new URLSearchParams()
    if (since !== undefined) q.set('since', String(since))
    if (limit !== undefined) q.set('limit', String(limit))
    const qs = q.toString()
    return this.#call('GET', `/api/agent/inbox${qs ? `?${qs}` : ''}`)
  }

  /** Messages this agent could have seen that match (docs/api-agents.md, message search). */
  search(params: { q?: string | undefined; from?: string | undefined; to?: string | undefined; channel?: string | undefined; limit?: number | undefined }): Promise<unknown> {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v))
    const qs = q.toString()
    return this.#call('GET', `/api/agent/messages/search${qs ? `?${qs}` : ''}`)
  }

  agents(): Promise<unknown> {
    return this.#call('GET', '/api/agent/agents')
  }

  /** What this agent was spawned with: `{name, session_id, exit_after_task, result_schema}`. */
  self(): Promise<{ name: string; exit_after_task: boolean; result_schema: unknown }> {
    return this.#call('GET', '/api/agent/self') as Promise<{ name: string; exit_after_task: boolean; result_schema: unknown }>
  }

  result(body: { data: unknown; final?: boolean | undefined; metadata?: unknown }): Promise<unknown> {
    return this.#call('POST', '/api/agent/result', body)
  }

  done(summary?: string): Promise<unknown> {
    return this.#call('POST', '/api/agent/done', summary === undefined ? {} : { summary })
  }

  delivery(id: string): Promise<unknown> {
    return this.#call('GET', `/api/agent/deliveries/${encodeURIComponent(id)}`)
  }

  async #call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let res: BrokerAnswer
    try {
      res = await callBroker(this.#id.url, path, { method, headers: { 'x-agent-token': this.#id.token }, body, timeoutMs: MCP_HTTP_TIMEOUT_MS })
    } catch (err) {
      if (err instanceof BrokerUnreachableError) throw new AgentApiError(err.code, 0, err.message)
      throw err
    }
    if (!res.ok) {
      const e = errorOfAnswer(res)
      throw new AgentApiError(e.code, res.status, e.message)
    }
    if (res.json === null) throw new AgentApiError('bad_response', res.status, `the broker answered ${path} with no JSON`)
    return res.json
  }
}
