/** A small method + path router: 404 for unknown paths, 405 with `allow` for a wrong method. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Broker } from '../supervisor/broker.js'
import type { Role } from './ui/access.js'

export interface RouteContext {
  req: IncomingMessage
  res: ServerResponse
  url: URL
  params: Record<string, string>
  rt: Broker
  /** The calling agent, on `/api/agent/*` routes (authenticated by its agent token). */
  agent?: string
  /** Who called an admin route: the API key, or a read-only observer token (GET routes only). */
  role?: Role
}

export type Handler = (ctx: RouteContext) => Promise<void> | void

/** A module's routes: `'METHOD /path/:param'` → handler, matched in this order. */
export type Routes = Readonly<Record<string, Handler>>

interface Route {
  method: string
  regex: RegExp
  keys: string[]
  handler: Handler
}

export type RouteMatch = { kind: 'found'; handler: Handler; params: Record<string, string> } | { kind: 'method'; allow: string } | { kind: 'none' }

export class Router {
  readonly #routes: Route[] = []

  add(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = []
    const source = pattern
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          keys.push(seg.slice(1))
          return '([^/]+)'
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      })
      .join('/')
    this.#routes.push({ method, regex: new RegExp(`^${source}$`), keys, handler })
    return this
  }

  addRoutes(routes: Routes): this {
    for (const [key, handler] of Object.entries(routes)) {
      const space = key.indexOf(' ')
      this.add(key.slice(0, space), key.slice(space + 1), handler)
    }
    return this
  }

  match(method: string, pathname: string): RouteMatch {
    const allowed: string[] = []
    for (const route of this.#routes) {
      const m = route.regex.exec(pathname)
      if (!m) continue
      if (route.method === method || (route.method === 'GET' && method === 'HEAD')) {
        const params: Record<string, string> = {}
        try {
          route.keys.forEach((k, i) => {
            params[k] = decodeURIComponent(m[i + 1]!)
          })
        } catch {
          continue // a malformed %-escape names nothing
        }
        return { kind: 'found', handler: route.handler, params }
      }
      allowed.push(route.method)
      if (route.method === 'GET') allowed.push('HEAD')
    }
    return allowed.length > 0 ? { kind: 'method', allow: allowed.join(',') } : { kind: 'none' }
  }
}
