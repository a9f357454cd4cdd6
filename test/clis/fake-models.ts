/**
 * Fake model servers on 127.0.0.1 for the real-binary conformance suite (`npm run test:clis`):
 * one HTTP server speaking four APIs, each streamed as the real one does (SSE):
 *   - Anthropic Messages      POST /v1/messages            (claude)
 *   - OpenAI Responses        POST /v1/responses           (codex)
 *   - Gemini                  POST /v1beta/models/M:streamGenerateContent?alt=sse, :generateContent, :countTokens
 *   - OpenAI chat completions POST /v1/chat/completions    (opencode, OpenAI-compatible provider)
 * Scripted turns, decided from the newest user input of a request:
 *   - `TOOLCALL to=<name> text=<text>` → a call of the relay DM tool (whatever name the CLI offers
 *     that ends in `message_dm_send`), then, once its result comes back, `TOOL-DONE`;
 *   - `SLOW` → the answer starts after SLOW_REPLY_MS (the CLI shows itself busy meanwhile);
 *   - anything else → `PONG`.
 * Every request is recorded: API, whether it is an agent turn (tools offered), its newest user
 * text, the names of the tools offered. Not a test file.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fitSchema } from './fit-schema.js'

export const SLOW_REPLY_MS = 8_000
const TOOL_DONE = 'TOOL-DONE'
const TOOL_RE = /TOOLCALL to=(\S+) text=(\S+)/

export type Api = 'anthropic' | 'responses' | 'gemini' | 'chat'

export interface Recorded {
  api: Api
  path: string
  /** The CLI offered tools: an agent turn (side requests such as titles offer none). */
  agentTurn: boolean
  /** The newest user text (empty when the newest input is a tool result). */
  userText: string
  toolResult: boolean
  /** The tool result's text, when the newest input is one. */
  resultText: string
  tools: string[]
  atMs: number
}

interface Turn {
  userText: string
  toolResult: boolean
  tools: string[]
  /** The tool whose result is the newest input (null when it is not a tool result). */
  lastTool?: string | null
  /** The text of that tool result. */
  resultText?: string
  /** The newest user text anywhere in the history (what a tool-calling turn was asked). */
  askedText?: string
}

type Reply = { kind: 'text'; text: string } | { kind: 'tool'; name: string; args: Record<string, unknown> }

const DM_TOOL = /message[_.]?dm[_.]?send$/
const TOOL_SEARCH = 'ToolSearch'

function decide(t: Turn): Reply {
  const asked = TOOL_RE.exec(t.toolResult ? (t.askedText ?? '') : t.userText)
  if (t.toolResult) {
    // claude defers MCP tools: after ToolSearch loaded the schema, call the tool itself.
    if (t.lastTool === TOOL_SEARCH && asked) return { kind: 'tool', name: 'mcp__relaycast__message_dm_send', args: { to: asked[1]!, text: asked[2]! } }
    return { kind: 'text', text: TOOL_DONE }
  }
  if (asked) {
    const name = t.tools.find((n) => DM_TOOL.test(n))
    if (!name && t.tools.includes(TOOL_SEARCH)) return { kind: 'tool', name: TOOL_SEARCH, args: { query: 'select:mcp__relaycast__message_dm_send', max_results: 5 } }
    return { kind: 'tool', name: name ?? 'mcp__relaycast__message_dm_send', args: { to: asked[1]!, text: asked[2]! } }
  }
  return { kind: 'text', text: 'PONG' }
}

// ---- request parsing per API ---------------------------------------------------------------

function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content
      .map((c: any) => (typeof c === 'string' ? c : typeof c?.text === 'string' ? c.text : ''))
      .filter(Boolean)
      .join('\n')
  }
  return ''
}

function anthropicTurn(body: any): Turn {
  // claude 2.1.332 may end the list with a `system` context message: the newest input is the last user/assistant one.
  const msgs: any[] = (body.messages ?? []).filter((m: any) => m?.role === 'user' || m?.role === 'assistant')
  const last = msgs.at(-1)
  const content = Array.isArray(last?.content) ? last.content : []
  const result = content.find((c: any) => c?.type === 'tool_result')
  const prev: any[] = Array.isArray(msgs.at(-2)?.content) ? msgs.at(-2).content : []
  const lastTool = result ? (prev.find((c: any) => c?.type === 'tool_use' && c.id === result.tool_use_id)?.name ?? null) : null
  const askedText = [...msgs].reverse().map((m) => (m.role === 'user' ? textOf(m.content) : '')).find((t) => TOOL_RE.test(t)) ?? ''
  return {
    userText: result ? '' : textOf(last?.content),
    toolResult: result !== undefined,
    tools: (body.tools ?? []).map((t: any) => String(t.name)),
    lastTool,
    resultText: result ? textOf(result.content) : '',
    askedText
  }
}

function responsesTools(tools: any[]): string[] {
  const out: string[] = []
  for (const t of tools ?? []) {
    if (typeof t?.name === 'string') out.push(t.name)
    // codex 0.171 groups MCP tools: {type: 'namespace', name: 'mcp__relaycast', tools: [{name: 'message_dm_send'}]}
    if (Array.isArray(t?.tools)) for (const inner of t.tools) if (typeof inner?.name === 'string') out.push(`${t.name ?? ''}/${inner.name}`)
  }
  return out
}

function askedIn(texts: string[]): string {
  return [...texts].reverse().find((t) => TOOL_RE.test(t)) ?? ''
}

function responsesTurn(body: any): Turn {
  const input: any[] = Array.isArray(body.input) ? body.input : []
  const last = input.at(-1)
  const toolResult = last?.type === 'function_call_output' || last?.type === 'custom_tool_call_output'
  let userText = ''
  if (!toolResult) {
    const lastUser = [...input].reverse().find((i) => i?.role === 'user')
    userText = textOf(lastUser?.content)
  }
  const call = toolResult ? input.find((i) => i?.call_id === last.call_id && i?.type !== last.type) : null
  const output = toolResult ? (typeof last.output === 'string' ? last.output : JSON.stringify(last.output)) : ''
  return {
    userText,
    toolResult,
    tools: responsesTools(body.tools),
    lastTool: call?.name ?? null,
    resultText: output,
    askedText: askedIn(input.filter((i) => i?.role === 'user').map((i) => textOf(i.content)))
  }
}

function geminiTurn(body: any): Turn {
  const contents: any[] = body.contents ?? []
  const last = contents.at(-1)
  const parts: any[] = last?.parts ?? []
  const response = parts.find((p) => p?.functionResponse)?.functionResponse
  const tools: string[] = []
  for (const t of body.tools ?? []) for (const f of t.functionDeclarations ?? []) tools.push(String(f.name))
  return {
    userText: response ? '' : parts.map((p) => p?.text ?? '').join('\n'),
    toolResult: response !== undefined,
    tools,
    lastTool: response?.name ?? null,
    resultText: response ? JSON.stringify(response.response ?? {}) : '',
    askedText: askedIn(contents.filter((c) => c?.role === 'user').map((c) => (c.parts ?? []).map((p: any) => p?.text ?? '').join('\n')))
  }
}

function chatTurn(body: any): Turn {
  const msgs: any[] = body.messages ?? []
  const last = msgs.at(-1)
  const toolResult = last?.role === 'tool'
  const call = toolResult ? msgs.flatMap((m) => m?.tool_calls ?? []).find((c: any) => c?.id === last.tool_call_id) : null
  return {
    userText: toolResult ? '' : textOf(last?.content),
    toolResult,
    tools: (body.tools ?? []).map((t: any) => String(t.function?.name ?? t.name)),
    lastTool: call?.function?.name ?? null,
    resultText: toolResult ? textOf(last.content) : '',
    askedText: askedIn(msgs.filter((m) => m?.role === 'user').map((m) => textOf(m.content)))
  }
}

// ---- response writers per API ---------------------------------------------------------------

let seq = 0
const nextId = (p: string): string => `${p}_${Date.now().toString(36)}${(++seq).toString(36)}`

function sse(res: ServerResponse): (event: string | null, data: unknown) => void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  return (event, data) => {
    res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`)
  }
}

function anthropicReply(body: any, reply: Reply, res: ServerResponse): void {
  const id = nextId('msg')
  const model = body.model ?? 'claude-fake'
  const block =
    reply.kind === 'text'
      ? { type: 'text', text: reply.text }
      : { type: 'tool_use', id: nextId('toolu'), name: reply.name, input: reply.args }
  const stop = reply.kind === 'text' ? 'end_turn' : 'tool_use'
  const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ id, type: 'message', role: 'assistant', model, content: [block], stop_reason: stop, stop_sequence: null, usage }))
    return
  }
  const send = sse(res)
  send('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } })
  if (block.type === 'text') {
    send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
    send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: (block as any).text } })
  } else {
    send('content_block_start', { type: 'content_block_start', index: 0, content_block: { ...block, input: {} } })
    send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: JSON.stringify((block as any).input) } })
  }
  send('content_block_stop', { type: 'content_block_stop', index: 0 })
  send('message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 5 } })
  send('message_stop', { type: 'message_stop' })
  res.end()
}

function responsesReply(body: any, reply: Reply, res: ServerResponse): void {
  const id = nextId('resp')
  const model = body.model ?? 'gpt-fake'
  const send = sse(res)
  const base = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model, status: 'in_progress', output: [] as unknown[] }
  send('response.created', { type: 'response.created', sequence_number: 0, response: base })
  let item: any
  if (reply.kind === 'text') {
    const itemId = nextId('msg')
    item = { type: 'message', id: itemId, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: reply.text, annotations: [] }] }
    send('response.output_item.added', { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', content: [] } })
    send('response.content_part.added', { type: 'response.content_part.added', item_id: itemId, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } })
    send('response.output_text.delta', { type: 'response.output_text.delta', item_id: itemId, output_index: 0, content_index: 0, delta: reply.text })
    send('response.output_text.done', { type: 'response.output_text.done', item_id: itemId, output_index: 0, content_index: 0, text: reply.text })
    send('response.content_part.done', { type: 'response.content_part.done', item_id: itemId, output_index: 0, content_index: 0, part: item.content[0] })
  } else {
    // A tool offered in a namespace (`mcp__relaycast/message_dm_send`) is called by its name, with its namespace.
    const slash = reply.name.lastIndexOf('/')
    item = {
      type: 'function_call',
      id: nextId('fc'),
      call_id: nextId('call'),
      name: slash === -1 ? reply.name : reply.name.slice(slash + 1),
      ...(slash === -1 ? {} : { namespace: reply.name.slice(0, slash) }),
      arguments: JSON.stringify(reply.args),
      status: 'completed'
    }
    send('response.output_item.added', { type: 'response.output_item.added', output_index: 0, item: { ...item, arguments: '', status: 'in_progress' } })
    send('response.function_call_arguments.done', { type: 'response.function_call_arguments.done', item_id: item.id, output_index: 0, arguments: item.arguments })
  }
  send('response.output_item.done', { type: 'response.output_item.done', output_index: 0, item })
  const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 }
  send('response.completed', { type: 'response.completed', response: { ...base, status: 'completed', output: [item], usage } })
  res.end()
}

function geminiReply(reply: Reply, res: ServerResponse, stream: boolean): void {
  const part = reply.kind === 'text' ? { text: reply.text } : { functionCall: { name: reply.name, args: reply.args } }
  const chunk = {
    candidates: [{ content: { parts: [part], role: 'model' }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    modelVersion: 'gemini-fake'
  }
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(chunk))
    return
  }
  const send = sse(res)
  send(null, chunk)
  res.end()
}

function chatReply(body: any, reply: Reply, res: ServerResponse): void {
  const id = nextId('chatcmpl')
  const created = Math.floor(Date.now() / 1000)
  const model = body.model ?? 'fake'
  const chunk = (delta: unknown, finish: string | null) => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' })
    const message =
      reply.kind === 'text'
        ? { role: 'assistant', content: reply.text }
        : { role: 'assistant', content: null, tool_calls: [{ id: nextId('call'), type: 'function', function: { name: reply.name, arguments: JSON.stringify(reply.args) } }] }
    res.end(JSON.stringify({ id, object: 'chat.completion', created, model, choices: [{ index: 0, message, finish_reason: reply.kind === 'text' ? 'stop' : 'tool_calls' }], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }))
    return
  }
  const send = sse(res)
  send(null, chunk({ role: 'assistant', content: '' }, null))
  if (reply.kind === 'text') {
    send(null, chunk({ content: reply.text }, null))
    send(null, chunk({}, 'stop'))
  } else {
    send(null, chunk({ tool_calls: [{ index: 0, id: nextId('call'), type: 'function', function: { name: reply.name, arguments: JSON.stringify(reply.args) } }] }, null))
    send(null, chunk({}, 'tool_calls'))
  }
  send(null, { id, object: 'chat.completion.chunk', created, model, choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } })
  send(null, '[DONE]')
  res.end()
}

// ---- the server ----------------------------------------------------------------------------

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')))
    req.on('error', reject)
  })
}

export class FakeModels {
  readonly recorded: Recorded[] = []
  /** Every request line seen (method + path), for exploring what a CLI calls. */
  readonly requests: string[] = []
  #server: Server | null = null
  url = ''

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { message: String(err) } }))
    }))
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()))
  }

  /** Agent turns whose newest user text contains `marker`. */
  received(marker: string): Recorded[] {
    return this.recorded.filter((r) => r.agentTurn && r.userText.includes(marker))
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    const path = url.pathname
    this.requests.push(`${req.method} ${req.url}`)
    const raw = req.method === 'POST' ? await readBody(req) : ''
    let body: any = {}
    try {
      body = raw ? JSON.parse(raw) : {}
    } catch {
      body = {}
    }
    let api: Api | null = null
    let turn: Turn | null = null
    if (req.method === 'POST' && /\/messages$/.test(path)) [api, turn] = ['anthropic', anthropicTurn(body)]
    else if (req.method === 'POST' && /\/responses$/.test(path)) [api, turn] = ['responses', responsesTurn(body)]
    else if (req.method === 'POST' && /:(stream)?[gG]enerateContent$/.test(path)) [api, turn] = ['gemini', geminiTurn(body)]
    else if (req.method === 'POST' && /\/chat\/completions$/.test(path)) [api, turn] = ['chat', chatTurn(body)]
    if (req.method === 'POST' && /:countTokens$/.test(path)) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ totalTokens: 10 }))
      return
    }
    if (req.method === 'POST' && /\/messages\/count_tokens$/.test(path)) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ input_tokens: 10 }))
      return
    }
    if (api === null || turn === null) {
      if (/\/api\/hello$/.test(path)) {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(req.method === 'HEAD' ? undefined : '{}')
        return
      }
      if (req.method === 'GET' && /\/models$/.test(path)) {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ object: 'list', data: [], models: [] }))
        return
      }
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { type: 'not_found_error', message: `fake: no ${req.method} ${path}` } }))
      return
    }
    if (process.env.FAKE_MODELS_DUMP) (await import('node:fs')).appendFileSync(process.env.FAKE_MODELS_DUMP, `${api} ${raw}\n`)
    // Tools a CLI defers (claude lists MCP tools by name for a tool search) count as offered too.
    const agentTurn = turn.tools.length > 0
    const schema = body.generationConfig?.responseJsonSchema ?? body.generationConfig?.responseSchema
    const reply: Reply = agentTurn ? decide(turn) : { kind: 'text', text: schema ? JSON.stringify(fitSchema(schema)) : 'ok' }
    const offered = JSON.stringify([body.tools, body.system, body.instructions, body.systemInstruction, (body.messages ?? []).filter((m: any) => m?.role === 'system')])
    for (const m of offered.matchAll(/[\w.]*message[_.]dm[_.]send/g)) {
      // A name right after an escaped newline (`\nmcp__…` in the JSON text) starts after the `n`.
      const name = m[0].replace(/^n(?=mcp_)/, '')
      if (!turn.tools.includes(name)) turn.tools.push(name)
    }
    this.recorded.push({ api, path, agentTurn, userText: turn.userText, toolResult: turn.toolResult, resultText: turn.resultText ?? '', tools: turn.tools, atMs: Date.now() })
    if (agentTurn && turn.userText.includes('SLOW')) await new Promise((r) => setTimeout(r, SLOW_REPLY_MS))
    switch (api) {
      case 'anthropic':
        return anthropicReply(body, reply, res)
      case 'responses':
        return responsesReply(body, reply, res)
      case 'gemini':
        return geminiReply(reply, res, path.endsWith(':streamGenerateContent'))
      case 'chat':
        return chatReply(body, reply, res)
    }
  }
}
