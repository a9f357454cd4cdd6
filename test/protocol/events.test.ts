/** The `/ws` event catalogue: a closed union, strict per kind; `seq` on every durable event. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { brokerEventSchema, EPHEMERAL_KINDS, eventAgent, parseWsMessage } from '../../src/protocol/events.js'

const verified = { kind: 'delivery_verified', name: 'ann', delivery_id: 'del_1', event_id: 'http_1', verification: 'echo' }

test('a durable event parses with its seq; without one it is refused', () => {
  assert.deepEqual(parseWsMessage({ ...verified, seq: 3 }), verified)
  assert.throws(() => parseWsMessage(verified), /without a seq/)
  assert.throws(() => parseWsMessage({ ...verified, seq: 0 }))
})

test('ephemeral kinds come without a seq', () => {
  assert.ok(EPHEMERAL_KINDS.has('worker_stream'))
  const ev = { kind: 'worker_stream', name: 'ann', stream: 'stdout', chunk: 'hi' }
  assert.deepEqual(parseWsMessage(ev), ev)
})

test('an unknown kind, a missing field, a wrong type or an extra field is refused', () => {
  assert.throws(() => brokerEventSchema.parse({ kind: 'delivery_teleported', name: 'ann' }))
  const { verification: _v, ...missing } = verified
  assert.throws(() => brokerEventSchema.parse(missing))
  assert.throws(() => brokerEventSchema.parse({ ...verified, verification: 'guess' }))
  assert.throws(() => brokerEventSchema.parse({ ...verified, extra: 1 }))
})

test('a replay gap is its own message', () => {
  const gap = { kind: 'replay_gap', requestedSinceSeq: 1, oldestAvailable: 40, seq: 90 }
  assert.deepEqual(parseWsMessage(gap), gap)
})

test('eventAgent names the agent an event is about, or null', () => {
  assert.equal(eventAgent(brokerEventSchema.parse(verified)), 'ann')
  assert.equal(eventAgent(brokerEventSchema.parse({ kind: 'broker_handover', agents: ['ann'] })), null)
})
