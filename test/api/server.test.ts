/** The API server before the supervisor has started. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { AgentRelayClient } from '@agent-relay/sdk/client'
import { createApiServer, WARMING_UP_BODY } from '../../src/api/server.js'
import type { Broker } from '../../src/supervisor/broker.js'

test('warm-up: until the runtime has started, everything but /health is 503 with the body the SDK retries on', async () => {
  const fake = {
    url: '',
    startedAt: Date.now(),
    config: { apiKey: 'br_k', paths: { mode: 'ephemeral' } },
    agents: new Map(),
    deliveries: { openCount: 0 },
    log: { error() {} }
  }
  const api = createApiServer(fake as unknown as Broker)
  await new Promise<void>((r) => api.server.listen(0, '127.0.0.1', () => r()))
  const base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`
  try {
    const early = await fetch(`${base}/api/session`, { headers: { 'x-api-key': 'br_k' } })
    assert.equal(early.status, 503)
    assert.equal(early.headers.get('content-type'), 'text/plain; charset=utf-8')
    assert.equal(await early.text(), WARMING_UP_BODY)
    assert.equal((await fetch(`${base}/api/spawned`)).status, 503, 'no auth is checked while warming up')
    assert.equal((await fetch(`${base}/health`)).status, 200)
    const client = new AgentRelayClient({ baseUrl: base, apiKey: 'br_k' })
    await assert.rejects(client.getSession(), (err: Error) => /503|Service Unavailable/.test(err.message))
    fake.url = base
    const ready = await fetch(`${base}/api/session`, { headers: { 'x-api-key': 'br_k' } })
    assert.equal(ready.status, 200)
  } finally {
    api.close()
  }
})
