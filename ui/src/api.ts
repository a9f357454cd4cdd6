/**
 * The page's API client. The key comes from the URL fragment (`#key=…`, never sent to a server by
 * the browser) and goes in the `x-api-key` header; WebSockets carry it as the subprotocol
 * `relay.key.<base64url>` next to `relay.v1`, since browsers cannot set WebSocket headers.
 */
export type Role = 'admin' | 'observer'

export function keyFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''))
  const key = params.get('key')?.trim()
  return key ? key : null
}

function base64url(text: string): string {
  let bin = ''
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export interface Reply {
  status: number
  ok: boolean
  body: any
}

export class Api {
  readonly key: string
  constructor(key: string) {
    this.key = key
  }

  async call(method: string, path: string, body?: unknown): Promise<Reply> {
    const res = await fetch(path, {
      method,
      headers: { 'x-api-key': this.key, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {})
    })
    const text = await res.text()
    let parsed: unknown = null
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      parsed = text
    }
    return { status: res.status, ok: res.ok, body: parsed }
  }

  get(path: string): Promise<Reply> {
    return this.call('GET', path)
  }

  socket(path: string): WebSocket {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`
    return new WebSocket(url, ['relay.v1', `relay.key.${base64url(this.key)}`])
  }
}

/** A readable error line from an API reply. */
export function errorText(r: Reply): string {
  const b = r.body
  if (b && typeof b === 'object') {
    if (typeof b.message === 'string') return `${r.status} ${b.code ?? ''} ${b.message}`.replace(/\s+/g, ' ')
    if (typeof b.error === 'string') return `${r.status} ${b.error}`
    if (b.error && typeof b.error.message === 'string') return `${r.status} ${b.error.message}`
  }
  return `HTTP ${r.status}`
}
