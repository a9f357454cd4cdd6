/**
 * `GET /api/input/{name}/stream`: raw input for one agent's PTY.
 * `pty_input_ready` once the agent is known; every text frame (or `{"type":"pty_input","data"}`
 * wrapper, or UTF-8 binary frame) is typed through the serialized input path and acked with
 * `pty_input_ack`. Errors are `pty_input_error`; a bad frame keeps the socket open, a failed
 * write or an unknown agent closes it (Close frame without a status code, as the original).
 */
import type { RawData, WebSocket } from 'ws'
import type { Broker } from '../../supervisor/broker.js'
import { inputWriterFor } from './input-writer.js'
import { BrokerError } from '../../errors/index.js'

interface InputError {
  code: string
  message: string
  statusCode: number
}

function sendError(ws: WebSocket, err: InputError): void {
  if (ws.readyState !== ws.OPEN) return
  ws.send(JSON.stringify({ type: 'pty_input_error', code: err.code, message: err.message, retryable: false, statusCode: err.statusCode }))
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return Buffer.from(data)
  return data
}

/** The text to type for one client frame, or an error that leaves the socket open. */
export function decodeInputFrame(data: RawData, isBinary: boolean): { data: string } | { error: InputError } {
  const buf = toBuffer(data)
  let text: string
  try {
    text = utf8.decode(buf)
  } catch {
    return { error: { code: 'invalid_input', message: 'binary input frames must be valid UTF-8', statusCode: 400 } }
  }
  if (!isBinary) {
    const trimmed = text.trim()
    if (trimmed.startsWith('{')) {
      let parsed: unknown
      try {
        parsed = JSON.parse(trimmed)
      } catch {
        parsed = undefined
      }
      if (parsed && typeof parsed === 'object' && (parsed as { type?: unknown }).type === 'pty_input') {
        const inner = (parsed as { data?: unknown }).data
        if (typeof inner !== 'string') {
          return { error: { code: 'invalid_input', message: "pty_input frame must include a string 'data' field", statusCode: 400 } }
        }
        return { data: inner }
      }
    }
  }
  return { data: text }
}

export function serveInputStream(ws: WebSocket, rt: Broker, name: string): void {
  ws.on('error', () => ws.terminate())
  const entry = rt.agents.get(name)
  if (!entry) {
    sendError(ws, { code: 'agent_not_found', message: `agent_not_found: no worker named '${name}'`, statusCode: 404 })
    ws.close()
    return
  }
  if (entry.handle.spec.runtime !== 'pty') {
    sendError(ws, { code: 'unsupported_runtime', message: `unsupported_runtime: agent '${name}' has no PTY`, statusCode: 409 })
    ws.close()
    return
  }
  const writer = inputWriterFor(rt)
  let closed = false
  ws.on('close', () => {
    closed = true
  })
  ws.send(JSON.stringify({ type: 'pty_input_ready', name }))
  ws.on('message', (raw, isBinary) => {
    const decoded = decodeInputFrame(raw, isBinary)
    if ('error' in decoded) {
      sendError(ws, decoded.error)
      return
    }
    writer.write(name, decoded.data, 'no worker named').then(
      (result) => {
        if (!closed && ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'pty_input_ack', name: result.name, bytes_written: result.bytes_written }))
      },
      (err: unknown) => {
        const e =
          err instanceof BrokerError
            ? { code: err.code, message: err.message, statusCode: err.status }
            : { code: 'internal_error', message: `internal_error: ${(err as Error).message}`, statusCode: 500 }
        sendError(ws, e)
        if (ws.readyState === ws.OPEN) ws.close()
      }
    )
  })
}
