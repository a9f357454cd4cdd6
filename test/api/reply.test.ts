/** The one HTTP mapper (src/api/reply.ts): catalogue errors, zod failures, worker refusals and anything else. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { z } from 'zod'
import { errorAnswer } from '../../src/api/reply.js'
import { BrokerError, NoRecipientError, SpawnQueueFullError, StorageUnavailableError } from '../../src/errors/index.js'
import { WorkerRequestError } from '../../src/supervisor/worker/handle.js'

test('a catalogue error in family B is {code, message} with its status', () => {
  const a = errorAnswer(new BrokerError('delivery_not_found', { id: 'd1' }))
  assert.deepEqual(a, { status: 404, headers: {}, body: { code: 'delivery_not_found', message: "delivery_not_found: no delivery with id 'd1'" } })
})

test('a catalogue error in family A carries success:false, its details, error, code and message', () => {
  const a = errorAnswer(new NoRecipientError('bob').inFamily('A'))
  assert.equal(a.status, 404)
  assert.deepEqual(a.body, { success: false, to: 'bob', error: 'Agent "bob" not found', code: 'agent_not_found', message: 'Agent "bob" not found' })
})

test('an error that says when to retry sends retry-after in seconds', () => {
  const q = errorAnswer(new SpawnQueueFullError(256, 4, 5).inFamily('A', { name: 'w' }))
  assert.equal(q.status, 503)
  assert.deepEqual(q.headers, { 'retry-after': '5' })
  assert.equal(q.body.retry_after_secs, 5)
  assert.equal(q.body.name, 'w')
  const s = errorAnswer(new StorageUnavailableError('/s/agents.json', 'ENOSPC', 'no space'))
  assert.equal(s.status, 507)
  assert.equal(s.headers['retry-after'], '5')
  assert.equal(s.body.cause, 'ENOSPC')
  assert.equal(s.body.success, false)
})

test('a zod validation error is a 400 invalid_request naming the first problems', () => {
  const parsed = z.object({ rows: z.number(), cols: z.number() }).safeParse({ rows: 'x' })
  assert.equal(parsed.success, false)
  const a = errorAnswer(parsed.error)
  assert.equal(a.status, 400)
  assert.equal(a.body.code, 'invalid_request')
  assert.match(String(a.body.message), /^rows: .*; cols: /)
  assert.deepEqual(Object.keys(a.body), ['code', 'message'])
})

test('a worker refusal keeps its code when clients know it, else invalid_request or request_failed', () => {
  assert.equal(errorAnswer(new WorkerRequestError('worker_timeout', 't')).status, 504)
  assert.deepEqual(errorAnswer(new WorkerRequestError('invalid_dimensions', 'd')).body, { code: 'invalid_request', message: 'd' })
  assert.deepEqual(errorAnswer(new WorkerRequestError('spawn_failed', 's')), { status: 400, headers: {}, body: { code: 'request_failed', message: 's' } })
})

test('anything else is a 500 internal_error with the message and no stack', () => {
  const a = errorAnswer(new TypeError('boom'))
  assert.deepEqual(a, { status: 500, headers: {}, body: { code: 'internal_error', message: 'boom' } })
  assert.ok(!JSON.stringify(a.body).includes('at '), 'no stack')
  assert.deepEqual(errorAnswer('a string').body, { code: 'internal_error', message: 'internal error' })
  assert.deepEqual(errorAnswer(null).body, { code: 'internal_error', message: 'internal error' })
})

test('a refused credential in family C is the nested {error: {code, message, retryable, statusCode}}', () => {
  const a = errorAnswer(new BrokerError('unauthorized', 'Missing or invalid API key', { family: 'C' }))
  assert.deepEqual(a, { status: 401, headers: {}, body: { error: { code: 'unauthorized', message: 'Missing or invalid API key', retryable: false, statusCode: 401 } } })
})
