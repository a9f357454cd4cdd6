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
import { BrokerError, UnknownAgentError } from '../../errors/index.js'

/** A catalogue error as a `pty_input_error` frame (its status as `statusCode`). */
function sendError(ws: WebSocket, err: BrokerError): void {
  if (ws.readyState !== ws.OPEN) return
  ws.send(JSON.stringify({ type: 'pty_input_error', code: err.code, message: err.message, retryable: false, statusCode: err.status }))
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return Buffer.from(data)
  return data
}

/** The text to type for one client frame, or an error that leaves the socket open. */
export function decodeInputFrame(data: RawData, isBinary: boolean): { data: string } | { error: BrokerError } {
  const buf = toBuffer(data)
  let text: string
  try {
    text = utf8.decode(buf)
  } catch {
    return { error: new BrokerError('invalid_input', 'binary input frames must be valid UTF-8') }
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
          return { error: new BrokerError('invalid_input', "pty_input frame must include a string 'data' field") }
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
    sendError(ws, new UnknownAgentError(name))
    ws.close()
    return
  }
  if (entry.handle.spec.runtime !== 'pty') {
    sendError(ws, new BrokerError('unsupported_runtime', { name }))
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
        sendError(ws, err instanceof BrokerError ? err : new BrokerError('internal_error', `internal_error: ${(err as Error).message}`))
        if (ws.readyState === ws.OPEN) ws.close()
      }
    )
  })
}
