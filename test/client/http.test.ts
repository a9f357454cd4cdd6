/** src/client/http.ts: the broker call the CLI and `broker mcp` share. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BrokerUnreachableError, callBroker, errorOfAnswer } from '../../src/client/http.js'

const answer = (status: number, text: string) => {
  let json: unknown = null
  try {
    json = JSON.parse(text)
  } catch {
    // not JSON
  }
  return { status, ok: status < 400, text, json }
}

test('an error answer is read in either family and in the nested shape', () => {
  assert.deepEqual(errorOfAnswer(answer(404, '{"code":"agent_not_found","message":"m"}')), { code: 'agent_not_found', message: 'm' })
  assert.deepEqual(errorOfAnswer(answer(409, '{"success":false,"error":"e","code":"agent_exists"}')), { code: 'agent_exists', message: 'e' })
  assert.deepEqual(errorOfAnswer(answer(401, '{"error":{"code":"unauthorized","message":"no key"}}')), { code: 'unauthorized', message: 'no key' })
  assert.deepEqual(errorOfAnswer(answer(503, 'warming up')), { code: 'http_503', message: 'warming up' })
  assert.deepEqual(errorOfAnswer(answer(500, '')), { code: 'http_500', message: 'HTTP 500' })
})

test('callBroker sends JSON with the given headers and reads the answer; a closed port is broker_unreachable', async () => {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ method: req.method, type: req.headers['content-type'] ?? null, key: req.headers['x-api-key'] ?? null, body }))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  try {
    const a = await callBroker(url, '/x', { method: 'POST', headers: { 'x-api-key': 'k' }, body: { a: 1 }, timeoutMs: 5_000 })
    assert.equal(a.status, 200)
    assert.deepEqual(a.json, { method: 'POST', type: 'application/json', key: 'k', body: '{"a":1}' })
  } finally {
    server.close()
  }
  await assert.rejects(callBroker('http://127.0.0.1:9', '/x', { method: 'GET', headers: {}, timeoutMs: 5_000 }), (err: unknown) => {
    assert.ok(err instanceof BrokerUnreachableError)
    assert.equal(err.code, 'broker_unreachable')
    return true
  })
})
