/** The HTTP + WebSocket server: auth before routing, routes, `/ws` upgrades. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { BrokerRuntime } from '../supervisor/runtime.js'
import { ApiKeyAuth, UNAUTHORIZED_JSON } from './auth.js'
import { ApiError, sendEmpty, sendErrorB } from './reply.js'
import { buildRouter, sinceParam } from './routes.js'
import { serveEventStream } from './ws-events.js'

export interface ApiServer {
  server: Server
  close(): void
}

function rejectUpgrade(socket: Duplex, status: number, statusText: string, body: string, type = 'application/json'): void {
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  )
}

export function createApiServer(rt: BrokerRuntime): ApiServer {
  const auth = new ApiKeyAuth(rt.config.apiKey)
  const router = buildRouter()
  const wss = new WebSocketServer({ noServer: true })

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://broker')
    const method = req.method ?? 'GET'
    if (!(url.pathname === '/health' && (method === 'GET' || method === 'HEAD')) && !auth.check(req)) {
      req.resume()
      auth.reject(res)
      return
    }
    const match = router.match(method, url.pathname)
    if (match.kind === 'none') {
      req.resume()
      sendEmpty(res, 404)
      return
    }
    if (match.kind === 'method') {
      req.resume()
      sendEmpty(res, 405, { allow: match.allow })
      return
    }
    Promise.resolve()
      .then(() => match.handler({ req, res, url, params: match.params, rt }))
      .catch((err: unknown) => {
        if (res.headersSent) {
          res.destroy()
          return
        }
        if (err instanceof ApiError) {
          err.send(res)
          if (err.status === 413) res.once('finish', () => req.destroy())
          return
        }
        rt.log.error({ err, path: url.pathname }, 'request failed')
        sendErrorB(res, 500, 'internal_error', (err as Error).message ?? 'internal error')
      })
  }

  const server = createServer(onRequest)
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const url = new URL(req.url ?? '/', 'http://broker')
    if (!auth.check(req)) {
      rejectUpgrade(socket, 401, 'Unauthorized', UNAUTHORIZED_JSON)
      return
    }
    if (url.pathname !== '/ws') {
      rejectUpgrade(socket, 404, 'Not Found', '', 'text/plain')
      return
    }
    let since: number
    try {
      since = sinceParam(url)
    } catch (err) {
      rejectUpgrade(socket, 400, 'Bad Request', JSON.stringify({ code: 'invalid_request', message: (err as Error).message }))
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveEventStream(ws, rt.events, since))
  })
  server.keepAliveTimeout = 5_000

  return {
    server,
    close() {
      for (const client of wss.clients) client.terminate()
      wss.close()
      server.close()
      server.closeAllConnections()
    }
  }
}
