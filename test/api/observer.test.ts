/** Observer tokens and the /ui route over real HTTP: read-only tokens, subprotocol auth on /ws, static files. */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { TestBroker } from '../e2e/harness.js'

function b64url(s: string): string {
  return Buffer.from(s).toString('base64url')
}

/** Opens a WebSocket and reports the handshake's status (101 on success) and the selected subprotocol. */
function handshake(url: string, opts: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<{ status: number; protocol: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers ?? {} })
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, protocol: '' })
      ws.terminate()
    })
    ws.once('open', () => {
      resolve({ status: 101, protocol: ws.protocol })
      ws.terminate()
    })
    ws.once('error', () => undefined)
  })
}

describe('observer tokens and /ui', () => {
  let broker: TestBroker
  let token: string

  before(async () => {
    broker = await new TestBroker().ready()
    const res = await broker.api('POST', '/api/observer-token', { ttl_secs: 600, label: 'test' })
    assert.equal(res.status, 200, res.text)
    token = res.body.token
  })

  after(async () => {
    await broker?.stop()
  })

  test('POST /api/observer-token answers a token, its expiry and the page URL (key in the fragment)', async () => {
    assert.match(token, /^obs_[A-Za-z0-9_-]{20,}$/)
    const res = await broker.api('POST', '/api/observer-token', {})
    assert.equal(res.body.role, 'observer')
    assert.equal(res.body.expires_in_secs, 24 * 3600)
    assert.ok(Date.parse(res.body.expires_at) > Date.now())
    assert.equal(res.body.url, `${broker.url}/ui/#key=${encodeURIComponent(res.body.token)}`)
    const bad = await broker.api('POST', '/api/observer-token', { ttl_secs: -1 })
    assert.equal(bad.status, 400)
  })

  test('an observer reads every GET route, and every write is a 403 with a JSON code', async () => {
    const obs = { 'x-api-key': token }
    for (const path of ['/api/status', '/api/spawned', '/api/metrics', '/api/threads', '/api/dead-letters']) {
      const r = await fetch(broker.url + path, { headers: obs })
      assert.equal(r.status, 200, path)
    }
    const who = (await (await fetch(`${broker.url}/api/whoami`, { headers: obs })).json()) as { role: string }
    assert.equal(who.role, 'observer')
    const writes: [string, string, unknown][] = [
      ['POST', '/api/send', { to: 'x', text: 'y' }],
      ['POST', '/api/spawn', { name: 'x', cli: 'cat' }],
      ['DELETE', '/api/spawned/x', undefined],
      ['POST', '/api/observer-token', {}],
      ['POST', '/api/shutdown', undefined]
    ]
    for (const [method, path, body] of writes) {
      const r = await broker.api(method, path, body, obs)
      assert.equal(r.status, 403, `${method} ${path}`)
      assert.equal(r.body.code, 'forbidden')
    }
    const adminWho = await broker.api('GET', '/api/whoami')
    assert.equal(adminWho.body.role, 'admin')
    const none = await fetch(`${broker.url}/api/status`, { headers: { 'x-api-key': 'obs_not_a_token' } })
    assert.equal(none.status, 401)
  })

  test('/ws takes the key or a token as a subprotocol (relay.v1 is selected, never the key); input streams refuse observers', async () => {
    const ws = broker.url.replace(/^http/, 'ws')
    const admin = await handshake(`${ws}/ws`, { protocols: ['relay.v1', `relay.key.${b64url(broker.apiKey)}`] })
    assert.equal(admin.status, 101)
    assert.equal(admin.protocol, 'relay.v1')
    const observer = await handshake(`${ws}/ws`, { protocols: ['relay.v1', `relay.key.${b64url(token)}`] })
    assert.equal(observer.status, 101)
    const wrong = await handshake(`${ws}/ws`, { protocols: ['relay.v1', `relay.key.${b64url('wrong')}`] })
    assert.equal(wrong.status, 401)
    const inQuery = await handshake(`${ws}/ws?key=${encodeURIComponent(broker.apiKey)}`)
    assert.equal(inQuery.status, 401, 'a key in the query string is not accepted')
    const input = await handshake(`${ws}/api/input/x/stream`, { headers: { 'x-api-key': token } })
    assert.equal(input.status, 403)
  })

  test('GET /ui/ serves the page without a key; its scripts, xterm and nothing else', async () => {
    const page = await fetch(`${broker.url}/ui/`)
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-type') ?? '', /text\/html/)
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/)
    assert.match(await page.text(), /<script type="module" src="\/ui\/app\/main\.js">/)
    for (const path of ['/ui/app/main.js', '/ui/app/terminal.js', '/ui/app/vendor/xterm.mjs', '/ui/app/vendor/addon-fit.mjs', '/ui/vendor/xterm.css', '/ui/style.css']) {
      const r = await fetch(broker.url + path)
      assert.equal(r.status, 200, path)
    }
    const redirect = await fetch(`${broker.url}/ui`, { redirect: 'manual' })
    assert.equal(redirect.status, 308)
    assert.equal(redirect.headers.get('location'), '/ui/')
    assert.equal((await fetch(`${broker.url}/ui/../package.json`)).status, 401, 'normalised to /package.json: not a /ui path, needs a key')
    for (const path of ['/ui/package.json', '/ui/app/main.ts', '/ui/app/vendor/xterm.js', '/ui/index.html']) {
      assert.equal((await fetch(broker.url + path)).status, 404, `${path}: only listed files are served`)
    }
    assert.equal((await fetch(`${broker.url}/ui/`, { method: 'POST' })).status, 405)
  })
})
