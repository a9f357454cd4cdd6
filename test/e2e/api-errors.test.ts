/** Bad input gets a clear error and the broker carries on. */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { TestBroker } from './harness.js'

describe('API errors', () => {
  let broker: TestBroker
  before(async () => {
    broker = await new TestBroker().ready()
  })
  after(async () => broker.stop())

  test('401 without a key, with a wrong key; 200 with Bearer; /health is public', async () => {
    const noKey = await fetch(broker.url + '/api/spawned')
    assert.equal(noKey.status, 401)
    assert.deepEqual(await noKey.json(), {
      error: { code: 'unauthorized', message: 'Missing or invalid API key', retryable: false, statusCode: 401 }
    })
    assert.equal((await broker.api('GET', '/api/spawned', undefined, { 'x-api-key': 'wrong' })).status, 401)
    const bearer = await fetch(broker.url + '/api/spawned', { headers: { authorization: `Bearer ${broker.apiKey}` } })
    assert.equal(bearer.status, 200)
    assert.equal((await fetch(broker.url + '/nope')).status, 401, 'auth runs before routing')
    assert.equal((await fetch(broker.url + '/health')).status, 200)
  })

  test('401 on /ws without a key, no upgrade', async () => {
    const ws = new WebSocket(broker.url.replace('http', 'ws') + '/ws')
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)))
    assert.equal(status, 401)
  })

  test('unknown path 404, wrong method 405 with allow', async () => {
    assert.equal((await broker.api('GET', '/api/nope')).status, 404)
    const r = await fetch(broker.url + '/api/spawned', { method: 'PATCH', headers: { 'x-api-key': broker.apiKey } })
    assert.equal(r.status, 405)
    assert.match(r.headers.get('allow') ?? '', /GET/)
  })

  test('400 for bad JSON and bad fields, with code and message', async () => {
    const bad = await broker.api('POST', '/api/spawn', '{not json')
    assert.equal(bad.status, 400)
    assert.equal(bad.body.code, 'invalid_json')
    const noName = await broker.api('POST', '/api/spawn', { cli: 'cat' })
    assert.equal(noName.status, 400)
    assert.equal(noName.body.error, 'Missing required field: name')
    const badArgs = await broker.api('POST', '/api/spawn', { name: 'x', cli: 'cat', args: 'not-an-array' })
    assert.equal(badArgs.status, 400)
    assert.match(badArgs.body.message, /args/)
    const noText = await broker.api('POST', '/api/send', { to: 'x' })
    assert.equal(noText.status, 400)
    assert.equal(noText.body.error, 'Missing required fields: to, message')
    const badMode = await broker.api('POST', '/api/send', { to: 'x', text: 'y', mode: 'shout' })
    assert.equal(badMode.status, 400)
    const badResize = await broker.api('POST', '/api/resize/x', { rows: 0, cols: 10 })
    assert.equal(badResize.status, 400)
  })

  test('404 for unknown agents', async () => {
    const snap = await broker.api('GET', '/api/spawned/ghost/snapshot')
    assert.equal(snap.status, 404)
    assert.deepEqual(snap.body, { code: 'agent_not_found', message: "agent_not_found: no worker named 'ghost'" })
    const input = await broker.api('POST', '/api/input/ghost', { data: 'x' })
    assert.equal(input.status, 404)
    assert.equal(input.body.code, 'agent_not_found')
    assert.equal((await broker.api('POST', '/api/resize/ghost', { rows: 10, cols: 10 })).status, 404)
  })

  test('413 for a body over the limit; 409 for a duplicate name', async () => {
    const big = await broker.api('POST', '/api/send', { to: 'x', text: 'a'.repeat(3 * 1024 * 1024) })
    assert.equal(big.status, 413)
    await broker.spawnAgent('dup', 'cat')
    const dup = await broker.api('POST', '/api/spawn', { name: 'dup', cli: 'cat' })
    assert.equal(dup.status, 409)
    assert.match(dup.body.error, /already exists/)
    assert.equal((await broker.api('GET', '/health')).status, 200)
  })

  test('/ws replay: sinceSeq returns later events only, gap only when events were lost', async () => {
    const all = await broker.api('GET', '/api/events/replay?sinceSeq=0')
    assert.equal(all.status, 200)
    assert.equal(all.body.gap, false)
    assert.ok(all.body.events.length >= 1)
    const last = all.body.events.at(-1).seq
    const later = await broker.api('GET', `/api/events/replay?sinceSeq=${last - 1}`)
    assert.deepEqual(later.body.events.map((e: any) => e.seq), [last])
    assert.equal((await broker.api('GET', '/api/events/replay?sinceSeq=abc')).status, 400)
  })
})
