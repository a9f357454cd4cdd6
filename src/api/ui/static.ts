/**
 * `GET /ui/…`: the web view's static files, public (they hold no data; every call the page makes
 * needs the key). The page and its stylesheet come from `ui/static/`, its scripts from `dist/ui/`
 * (compiled by `npm run build` from `ui/src/`), xterm from its package. A fixed list: no path
 * from the URL ever reaches the file system.
 */
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { installPath } from '../../catalog/install.js'
import { BrokerError } from '../../errors/index.js'
import { sendError } from '../reply.js'

export const UI_PREFIX = '/ui'

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8'
}

const SCRIPTS = ['main', 'api', 'agents', 'terminal', 'messages', 'charts', 'dom']

/** URL path under /ui → file under the installation's root. */
const FILES = new Map<string, string>([
  ['/ui/', 'ui/static/index.html'],
  ['/ui/style.css', 'ui/static/style.css'],
  ['/ui/app/vendor/xterm.mjs', 'node_modules/@xterm/xterm/lib/xterm.mjs'],
  ['/ui/vendor/xterm.css', 'node_modules/@xterm/xterm/css/xterm.css'],
  ['/ui/app/vendor/addon-fit.mjs', 'node_modules/@xterm/addon-fit/lib/addon-fit.mjs'],
  ...SCRIPTS.map((s): [string, string] => [`/ui/app/${s}.js`, `dist/ui/${s}.js`])
])

/** The page may load only its own files and talk only to its own origin (xterm sets inline styles). */
const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'"

export function isUiPath(pathname: string): boolean {
  return pathname === UI_PREFIX || pathname.startsWith(`${UI_PREFIX}/`)
}

/** Answers a request under /ui (GET/HEAD only). */
export async function serveUi(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  req.resume()
  const method = req.method ?? 'GET'
  if (method !== 'GET' && method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET,HEAD', 'content-length': 0 })
    res.end()
    return
  }
  if (pathname === UI_PREFIX) {
    res.writeHead(308, { location: `${UI_PREFIX}/`, 'content-length': 0 })
    res.end()
    return
  }
  const file = FILES.get(pathname)
  let body: Buffer | null = null
  if (file) body = await readFile(installPath(file)).catch(() => null)
  if (!body) {
    sendError(res, new BrokerError('not_found', file ? `${pathname} is not built (run npm run build)` : { path: pathname }))
    return
  }
  const ext = file!.slice(file!.lastIndexOf('.') + 1)
  res.writeHead(200, {
    'content-type': TYPES[ext] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...(ext === 'html' ? { 'content-security-policy': CSP } : {})
  })
  res.end(method === 'HEAD' ? undefined : body)
}
