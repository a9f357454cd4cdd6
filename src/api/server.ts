/**
 * The HTTP + WebSocket server: auth before routing, routes, WebSocket upgrades (`/ws`,
 * `/api/input/{name}/stream`). Admin routes take the broker's API key; `/api/agent/*` takes an
 * agent token and nothing else (docs/api-agents.md).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocketServer } from 'ws'
import type { Broker } from '../supervisor/broker.js'
import { AGENT_ROUTE_PREFIX, authenticateAgent, rejectAgent } from './agent-auth.js'
import { ApiKeyAuth, UNAUTHORIZED_JSON } from './auth.js'
import { serveInputStream } from './ws/input-stream.js'
import { BrokerError, StorageUnavailableError } from '../errors/index.js'
import { errorAnswer, sendEmpty, sendError } from './reply.js'
import type { Router } from './router.js'
import { serveEventStream } from './ws/events.js'
import { observerMay, READ_ONLY_BODY, roleOf, selectProtocol, type Role } from './ui/access.js'
import { observerTokensFor } from './ui/observer-tokens.js'
import { isUiPath, serveUi } from './ui/static.js'
import { drainRejectedBody } from './validate.js'

/** `/api/input/{name}/stream`: one text/binary frame at most this big. */
export const INPUT_STREAM_MAX_FRAME_BYTES = 1024 * 1024

export interface ApiServer {
  server: Server
  /** Loads the routes now (after the API line), so the first request does not wait for them. */
  warm(): Promise<void>
  close(): void
}

/** What answers while the broker is not ready yet. */
export const WARMING_UP_BODY = 'Broker is starting, please retry'

const INPUT_STREAM_PATH = /^\/api\/input\/([^/]+)\/stream$/
/** Clients of `/ws` send nothing that is read; a small cap bounds what they can make us buffer. */
const EVENT_STREAM_MAX_FRAME_BYTES = 64 * 1024

function rejectUpgrade(socket: Duplex, status: number, statusText: string, body: string, type = 'application/json'): void {
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  )
}

function sendWarmingUp(res: ServerResponse): void {
  res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(WARMING_UP_BODY), connection: 'close' })
  res.end(WARMING_UP_BODY)
}

function decodeSegment(seg: string): string | null {
  try {
    return decodeURIComponent(seg)
  } catch {
    return null
  }
}

export function createApiServer(rt: Broker): ApiServer {
  const auth = new ApiKeyAuth(rt.config.apiKey)
  // The routes (and their zod schemas) load after the API line is printed, started by `warm()` or by
  // the first request, whichever comes first: start-up only needs the socket bound
  // (docs/architecture.md, "Start-up and memory").
  let routes: typeof import('./routes/index.js') | null = null
  let routesLoading: Promise<typeof import('./routes/index.js')> | null = null
  let router: Router | null = null
  const loadRoutes = () =>
    (routesLoading ??= import('./routes/index.js').then((m) => {
      routes = m
      router = m.buildRouter()
      return m
    }))
  const observers = observerTokensFor(rt)
  // `ws` is loaded on the first upgrade, not at start: it costs start-up time and idle memory
  // (docs/architecture.md, "Start-up and memory"), and a broker driven over plain HTTP never needs it.
  let wss: { events: WebSocketServer; input: WebSocketServer } | null = null
  let loading: Promise<{ events: WebSocketServer; input: WebSocketServer }> | null = null
  const webSockets = () =>
    (loading ??= import('ws').then(({ WebSocketServer: Wss }) => (wss = {
      events: new Wss({ noServer: true, maxPayload: EVENT_STREAM_MAX_FRAME_BYTES, handleProtocols: selectProtocol }),
      input: new Wss({ noServer: true, maxPayload: INPUT_STREAM_MAX_FRAME_BYTES, handleProtocols: selectProtocol })
    })))
  const ready = () => rt.url !== ''

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://broker')
    const method = req.method ?? 'GET'
    const isHealth = url.pathname === '/health' && (method === 'GET' || method === 'HEAD')
    if (!isHealth && !ready()) {
      req.resume()
      sendWarmingUp(res)
      return
    }
    if (isUiPath(url.pathname)) {
      serveUi(req, res, url.pathname).catch(() => res.destroy())
      return
    }
    let agent: string | undefined
    let role: Role | undefined
    if (url.pathname.startsWith(AGENT_ROUTE_PREFIX)) {
      const name = authenticateAgent(req, rt.agentTokens, (n) => rt.agents.has(n))
      if (name === null) {
        req.resume()
        rejectAgent(res)
        return
      }
      agent = name
    } else if (!isHealth) {
      const who = roleOf(req, auth, observers)
      if (who === null) {
        req.resume()
        auth.reject(res)
        return
      }
      if (who === 'observer' && !observerMay(method)) {
        req.resume()
        res.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(READ_ONLY_BODY) })
        res.end(READ_ONLY_BODY)
        return
      }
      role = who
    }
    if (router === null) {
      void loadRoutes().then(() => dispatch(req, res, url, method, agent, role), (err: unknown) => {
        rt.log.error({ err }, 'routes failed to load')
        res.destroy()
      })
      return
    }
    dispatch(req, res, url, method, agent, role)
  }

  const dispatch = (req: IncomingMessage, res: ServerResponse, url: URL, method: string, agent: string | undefined, role: Role | undefined): void => {
    const match = router!.match(method, url.pathname)
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
      .then(() =>
        match.handler({ req, res, url, params: match.params, rt, ...(agent !== undefined ? { agent } : {}), ...(role !== undefined ? { role } : {}) })
      )
      .catch((err: unknown) => {
        if (res.headersSent) {
          res.destroy()
          return
        }
        // Not `connection: close` on a 413: Node would destroy the socket while the client is still sending.
        if (err instanceof BrokerError && err.status === 413) drainRejectedBody(req)
        // A 507: nothing the answer would promise was kept; the caller may retry once the disk has room.
        if (err instanceof StorageUnavailableError) rt.log.warn({ path: url.pathname, file: err.path, cause: err.cause_code }, 'request refused: storage unavailable')
        else if (!(err instanceof BrokerError)) rt.log.error({ err, path: url.pathname }, 'request failed')
        sendError(res, err)
      })
  }

  const server = createServer(onRequest)
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const url = new URL(req.url ?? '/', 'http://broker')
    if (!ready()) {
      rejectUpgrade(socket, 503, 'Service Unavailable', WARMING_UP_BODY, 'text/plain; charset=utf-8')
      return
    }
    const who = roleOf(req, auth, observers, true)
    if (who === null) {
      rejectUpgrade(socket, 401, 'Unauthorized', UNAUTHORIZED_JSON)
      return
    }
    if (url.pathname === '/ws') {
      const upgrade = ({ sinceParam }: typeof import('./routes/index.js')) => {
        let since: number
        try {
          since = sinceParam(url)
        } catch (err) {
          rejectUpgrade(socket, 400, 'Bad Request', JSON.stringify(errorAnswer(err).body))
          return
        }
        void webSockets().then((w) => w.events.handleUpgrade(req, socket, head, (ws) => serveEventStream(ws, rt.events, since)))
      }
      if (routes !== null) upgrade(routes)
      else void loadRoutes().then(upgrade, () => socket.destroy())
      return
    }
    const input = INPUT_STREAM_PATH.exec(url.pathname)
    const name = input ? decodeSegment(input[1]!) : null
    if (name !== null && who === 'observer') {
      rejectUpgrade(socket, 403, 'Forbidden', READ_ONLY_BODY)
      return
    }
    if (name !== null) {
      void webSockets().then((w) => w.input.handleUpgrade(req, socket, head, (ws) => serveInputStream(ws, rt, name)))
      return
    }
    rejectUpgrade(socket, 404, 'Not Found', '', 'text/plain')
  })
  server.keepAliveTimeout = 5_000

  return {
    server,
    warm: () => loadRoutes().then(() => {}),
    close() {
      for (const w of wss ? [wss.events, wss.input] : []) {
        for (const client of w.clients) client.terminate()
        w.close()
      }
      server.close()
      server.closeAllConnections()
    }
  }
}
