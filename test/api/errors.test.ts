/** Every error status the API answers with, on the routes that produce it: 401, 400, 404, 405, 409, 413, 503, 504. */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { ECHO_CLI, TestBroker, type EventLog } from '../e2e/harness.js'

const UNAUTHORIZED = { error: { code: 'unauthorized', message: 'Missing or invalid API key', retryable: false, statusCode: 401 } }

/** Status (and body) of a WebSocket upgrade the server refused. */
function refusedUpgrade(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.on('open', () => {
      ws.terminate()
      reject(new Error('upgrade unexpectedly accepted'))
    })
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    ws.on('error', () => undefined)
  })
}

describe('API error statuses (§8)', () => {
  let broker: TestBroker
  let events: EventLog
  let wsBase: string

  before(async () => {
    broker = await new TestBroker().ready()
    wsBase = broker.url.replace(/^http/, 'ws')
    events = broker.events()
    await events.opened
    await broker.spawnAgent('w1', ECHO_CLI)
    await events.waitKind('worker_ready', 'w1')
  })

  after(async () => {
    events?.close()
    await broker?.stop()
  })

  test('401: no key, wrong key, lowercase bearer, wrong X-API-Key beside a good Bearer, query key', async () => {
    for (const path of ['/api/spawned', '/api/status', '/api/session', '/api/nope', '/ws']) {
      const res = await fetch(broker.url + path)
      assert.equal(res.status, 401, path)
      assert.deepEqual(await res.json(), UNAUTHORIZED)
    }
    const wrong = await broker.api('GET', '/api/spawned', undefined, { 'x-api-key': 'br_wrong' })
    assert.equal(wrong.status, 401)
    const lower = await fetch(broker.url + '/api/spawned', { headers: { authorization: `bearer ${broker.apiKey}` } })
    assert.equal(lower.status, 401)
    const mixed = await fetch(broker.url + '/api/spawned', { headers: { 'x-api-key': 'nope', authorization: `Bearer ${broker.apiKey}` } })
    assert.equal(mixed.status, 401, 'a wrong X-API-Key is not rescued by a valid Bearer')
    const padded = await fetch(broker.url + '/api/spawned', { headers: { 'x-api-key': `  ${broker.apiKey}  ` } })
    assert.equal(padded.status, 200)
    const emptyThenBearer = await fetch(broker.url + '/api/spawned', { headers: { 'x-api-key': '', authorization: `Bearer ${broker.apiKey}` } })
    assert.equal(emptyThenBearer.status, 200)
    assert.equal((await fetch(`${broker.url}/api/spawned?api_key=${broker.apiKey}`)).status, 401)
    const post = await fetch(broker.url + '/api/spawn', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
    assert.equal(post.status, 401)
  })

  test('401 on /ws and the input stream without a key or with a wrong one: plain JSON reply, no upgrade', async () => {
    for (const path of ['/ws?sinceSeq=0', '/api/input/w1/stream']) {
      for (const headers of [{}, { 'x-api-key': 'br_wrong' }] as Record<string, string>[]) {
        const res = await refusedUpgrade(wsBase + path, headers)
        assert.equal(res.status, 401, path)
        assert.deepEqual(JSON.parse(res.body), UNAUTHORIZED)
      }
    }
  })

  test('400: bodies that are not JSON, on every body route', async () => {
    const routes: [string, string][] = [
      ['POST', '/api/spawn'],
      ['POST', '/api/send'],
      ['POST', '/api/spawned/w1/model'],
      ['POST', '/api/spawned/w1/subscribe'],
      ['POST', '/api/spawned/w1/unsubscribe'],
      ['POST', '/api/input/w1'],
      ['POST', '/api/resize/w1'],
      ['POST', '/api/preflight'],
      ['PUT', '/api/spawned/w1/delivery-mode'],
      ['DELETE', '/api/spawned/nobody']
    ]
    for (const [method, path] of routes) {
      const res = await broker.api(method, path, '{"oops"')
      assert.equal(res.status, 400, `${method} ${path}`)
      assert.equal(res.body.code, 'invalid_json', `${method} ${path}`)
    }
  })

  test('400: bad fields, naming the problem', async () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/api/spawn', { cli: 'cat' }, /Missing required field: name/],
      ['POST', '/api/spawn', [1, 2], /Missing required field: name/],
      ['POST', '/api/spawn', { name: 'x', cli: 'cat', args: 'nope' }, /args/],
      ['POST', '/api/spawn', { name: 'x', cli: 'cat', transport: 'carrier-pigeon' }, /transport|runtime/],
      ['POST', '/api/send', { to: 'w1' }, /Missing required fields: to, message/],
      ['POST', '/api/send', { to: 'w1', text: '   ' }, /Missing required fields: to, message/],
      ['POST', '/api/send', { to: 'w1', text: 'x', mode: 'shout' }, /mode/],
      ['POST', '/api/spawned/w1/model', {}, /Missing required field: model/],
      ['POST', '/api/spawned/w1/model', { model: '  ' }, /Missing required field: model/],
      ['POST', '/api/spawned/w1/model', { model: 'x', timeout_ms: 'soon' }, /timeout_ms/],
      ['POST', '/api/spawned/w1/subscribe', {}, /channels/],
      ['POST', '/api/spawned/w1/unsubscribe', { channels: 'ops' }, /channels/],
      ['POST', '/api/input/w1', {}, /data/],
      ['POST', '/api/input/w1', { data: 5 }, /data/],
      ['POST', '/api/resize/w1', { rows: 10 }, /cols/],
      ['POST', '/api/resize/w1', { rows: -1, cols: 10 }, /rows/],
      ['POST', '/api/resize/w1', { rows: 70_000, cols: 10 }, /rows/],
      ['POST', '/api/resize/w1', { rows: 0, cols: 10 }, /invalid_dimensions/],
      ['POST', '/api/preflight', { agents: [{ name: 'a' }] }, /cli/],
      ['POST', '/api/preflight', {}, /agents/],
      ['PUT', '/api/spawned/w1/delivery-mode', { mode: 'sometimes' }, /mode/]
    ]
    for (const [method, path, body, message] of cases) {
      const res = await broker.api(method, path, body)
      assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${res.text}`)
      assert.match(res.body.message ?? res.body.error, message, `${method} ${path} ${JSON.stringify(body)}`)
      assert.equal(typeof res.body.code, 'string')
    }
    const format = await broker.api('GET', '/api/spawned/w1/snapshot?format=html')
    assert.equal(format.status, 400)
    assert.deepEqual(format.body, { code: 'invalid_format', message: "unsupported snapshot format 'html' (expected 'plain' or 'ansi')" })
    assert.equal((await broker.api('GET', '/api/events/replay?sinceSeq=abc')).status, 400)
    assert.equal((await broker.api('GET', '/api/agent/inbox')).status, 401, 'the admin key is not an agent token')
  })

  test('400 on /ws for a bad sinceSeq (before the upgrade) and for a plain GET of a WebSocket path', async () => {
    for (const q of ['sinceSeq=abc', 'sinceSeq=-1', 'since_seq=1.5']) {
      const res = await refusedUpgrade(`${wsBase}/ws?${q}`, { 'x-api-key': broker.apiKey })
      assert.equal(res.status, 400, q)
    }
    for (const path of ['/ws', '/api/input/w1/stream']) {
      const res = await broker.api('GET', path)
      assert.equal(res.status, 400, path)
      assert.match(res.body.message, /upgrade/)
    }
  })

  test('404 for an unknown agent on every per-agent route, with the original wording', async () => {
    const cases: [string, string, unknown, string][] = [
      ['GET', '/api/spawned/ghost/snapshot', undefined, "agent_not_found: no worker named 'ghost'"],
      ['GET', '/api/spawned/ghost/delivery-mode', undefined, "agent_not_found: no worker named 'ghost'"],
      ['PUT', '/api/spawned/ghost/delivery-mode', { mode: 'manual_flush' }, "agent_not_found: no worker named 'ghost'"],
      ['GET', '/api/spawned/ghost/pending', undefined, "agent_not_found: no worker named 'ghost'"],
      ['POST', '/api/spawned/ghost/flush', undefined, "agent_not_found: no worker named 'ghost'"],
      ['POST', '/api/input/ghost', { data: 'x' }, "agent_not_found: unknown worker 'ghost'"],
      ['POST', '/api/resize/ghost', { rows: 10, cols: 10 }, "agent_not_found: unknown worker 'ghost'"],
      ['POST', '/api/spawned/ghost/subscribe', { channels: ['x'] }, "unknown worker 'ghost'"],
      ['POST', '/api/spawned/ghost/unsubscribe', { channels: ['x'] }, "unknown worker 'ghost'"],
      ['GET', '/api/metrics?agent=ghost', undefined, "unknown worker 'ghost'"]
    ]
    for (const [method, path, body, message] of cases) {
      const res = await broker.api(method, path, body)
      assert.equal(res.status, 404, `${method} ${path}: ${res.text}`)
      assert.equal(res.body.code, 'agent_not_found', `${method} ${path}`)
      assert.match(res.body.message, new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), `${method} ${path}`)
    }
    for (const [path, body] of [
      ['/api/spawned/ghost/model', { model: 'x' }],
      ['/api/agents/by-name/ghost/interrupt', undefined]
    ] as const) {
      const res = await broker.api('POST', path, body)
      assert.equal(res.status, 404, path)
      assert.equal(res.body.success, false)
      assert.equal(res.body.name, 'ghost')
      assert.equal(res.body.error, "unknown worker 'ghost'")
    }
    const send = await broker.api('POST', '/api/send', { to: 'ghost', text: 'x' })
    assert.equal(send.status, 404)
    assert.equal(send.body.to, 'ghost')
    const release = await broker.api('DELETE', '/api/spawned/ghost')
    assert.equal(release.status, 404, 'releasing nobody is an error (issue 18)')
    assert.equal(release.body.code, 'agent_not_found')
    assert.equal(release.body.name, 'ghost')
    assert.equal((await broker.api('GET', '/api/nope')).status, 404)
    assert.equal((await broker.api('GET', '/api/status/')).status, 404, 'a trailing slash is another path')
    assert.equal((await broker.api('GET', '/api/spawned/%E0%A4%A/snapshot')).status, 404, 'a malformed escape names nothing')
  })

  test('405 with allow; 409 duplicate; 413 too large', async () => {
    const r = await fetch(broker.url + '/api/spawned/w1', { headers: { 'x-api-key': broker.apiKey } })
    assert.equal(r.status, 405)
    assert.equal(r.headers.get('allow'), 'DELETE')
    const dup = await broker.api('POST', '/api/spawn', { name: 'w1', cli: 'cat' })
    assert.equal(dup.status, 409)
    assert.equal(dup.body.success, false)
    const big = await broker.api('POST', '/api/input/w1', { data: 'x'.repeat(3 * 1024 * 1024) })
    assert.equal(big.status, 413)
  })

  test('504 worker_timeout and 503 worker_disappeared when a child does not answer a snapshot', async () => {
    const spawned = await broker.spawnAgent('frozen', ECHO_CLI)
    await events.waitKind('worker_ready', 'frozen')
    process.kill(spawned.pid, 'SIGSTOP')
    try {
      const timedOut = await broker.api('GET', '/api/spawned/frozen/snapshot')
      assert.equal(timedOut.status, 504)
      assert.equal(timedOut.body.code, 'worker_timeout')
      const pending = broker.api('GET', '/api/spawned/frozen/snapshot')
      await new Promise((r) => setTimeout(r, 200))
      process.kill(spawned.pid, 'SIGKILL')
      const gone = await pending
      assert.equal(gone.status, 503)
      assert.equal(gone.body.code, 'worker_disappeared')
    } finally {
      try {
        process.kill(spawned.pid, 'SIGKILL')
      } catch {
        // gone
      }
    }
  })
})
