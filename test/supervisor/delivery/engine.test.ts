/**
 * The delivery engine's state machine, without processes: the engine gets fakes of its ports
 * (recipients whose workers record the frames they are handed, an event sink) and the real
 * in-memory hub and tracker. The end-to-end behaviour with real children is in engine-e2e.test.ts.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeliveryEngine } from '../../../src/supervisor/delivery/engine.js'
import type { DeliverRelayPayload, DeliveryPorts, DeliveryWorker } from '../../../src/supervisor/delivery/ports.js'
import { DeliveryTracker } from '../../../src/supervisor/delivery/tracker.js'
import { NoRecipientError, PossiblyTypedError } from '../../../src/supervisor/delivery/types.js'
import { EmbeddedHub } from '../../../src/hub/embedded.js'
import type { BrokerEvent } from '../../../src/protocol/events.js'
import type { WorkerToBrokerFrame } from '../../../src/protocol/frames.js'
import { DELIVERY_INFLIGHT_PER_AGENT } from '../../../src/supervisor/delivery/engine.js'

class FakeWorker implements DeliveryWorker {
  readonly handed: DeliverRelayPayload[] = []
  accepting = true
  send(_type: 'deliver_relay', payload: DeliverRelayPayload): boolean {
    if (!this.accepting) return false
    this.handed.push(payload)
    return true
  }
}

interface Rig {
  engine: DeliveryEngine
  deliveries: DeliveryTracker
  events: BrokerEvent[]
  workers: Map<string, FakeWorker | null>
  stateDir: string
  kinds(name?: string): string[]
  frame(agent: string, type: 'delivery_queued' | 'delivery_injecting' | 'delivery_injected', id: string): void
  verified(agent: string, id: string): void
  failed(agent: string, id: string, stage?: 'queued' | 'injected'): void
}

/** An engine with agents `names` on this node (each with a worker taking frames), journal in a temp dir. */
function rig(names: string[], opts: { timeoutSecs?: number } = {}): Rig {
  const stateDir = mkdtempSync(join(tmpdir(), 'relay-engine-unit-'))
  const hub = new EmbeddedHub('local')
  const workers = new Map<string, FakeWorker | null>()
  for (const n of names) {
    hub.join(n, ['general'])
    workers.set(n, new FakeWorker())
  }
  const events: BrokerEvent[] = []
  const deliveries = new DeliveryTracker()
  const ports: DeliveryPorts = {
    brokerName: 'unit',
    stateDir,
    deliveries,
    hub,
    recipients: {
      has: (n) => workers.has(n),
      worker: (n) => workers.get(n) ?? null,
      injectTimeoutSecs: () => opts.timeoutSecs
    },
    log: { info: () => {}, warn: () => {} },
    emit: (e) => void events.push(e)
  }
  const engine = new DeliveryEngine(ports)
  engine.restore()
  const stamp = (id: string, agent: string) => ({ delivery_id: id, event_id: deliveries.get(id)?.event_id ?? 'evt', worker_name: agent, timestamp: Date.now() })
  const send = (agent: string, f: Omit<WorkerToBrokerFrame, 'v' | 'request_id'>) => engine.onDeliveryFrame(agent, { v: 1, request_id: null, ...f } as WorkerToBrokerFrame)
  return {
    engine,
    deliveries,
    events,
    workers,
    stateDir,
    kinds: (name) => events.filter((e) => name === undefined || ('name' in e && e.name === name)).map((e) => e.kind),
    frame: (agent, type, id) => send(agent, { type, payload: type === 'delivery_injecting' ? { ...stamp(id, agent), pending_bytes: 10 } : stamp(id, agent) } as never),
    verified: (agent, id) => send(agent, { type: 'delivery_verified', payload: { delivery_id: id, event_id: deliveries.get(id)!.event_id, verification: 'echo' } } as never),
    failed: (agent, id, stage = 'queued') => send(agent, { type: 'delivery_failed', payload: { delivery_id: id, event_id: deliveries.get(id)!.event_id, reason: 'test says no', worker_name: agent, stage } } as never)
  }
}

const worker = (r: Rig, name: string): FakeWorker => r.workers.get(name)!

describe('delivery engine (ports faked, no processes)', () => {
  test('a DM goes accepted → handed to the worker → queued → injected → verified, each stage one event, journaled', async () => {
    const r = rig(['ann', 'bob'])
    const res = await r.engine.send({ from: 'bob', to: 'ann', text: 'hello', thread_id: null, mode: 'wait' })
    assert.equal(res.targets.length, 1)
    const id = res.deliveries[0]!.delivery_id
    assert.equal(worker(r, 'ann').handed.length, 1)
    assert.equal(worker(r, 'ann').handed[0]!.body, 'hello')
    assert.equal(worker(r, 'ann').handed[0]!.from, 'bob')
    r.frame('ann', 'delivery_queued', id)
    r.frame('ann', 'delivery_injected', id)
    r.verified('ann', id)
    assert.equal(r.deliveries.get(id)!.stage, 'verified')
    assert.deepEqual(
      r.kinds('ann'),
      ['delivery_accepted', 'delivery_queued', 'delivery_injected', 'delivery_ack', 'message_delivery_confirmed', 'delivery_verified', 'delivery_read_ack']
    )
    assert.ok(r.events.some((e) => e.kind === 'relay_inbound'))
    r.engine.close()
    const journal = readFileSync(join(r.stateDir, 'deliveries.jsonl'), 'utf8')
    assert.match(journal, new RegExp(id))
    assert.match(journal, /verified/)
  })

  test('a frame about another agent’s delivery, or a stage reached twice, changes nothing', async () => {
    const r = rig(['ann', 'bob'])
    const { deliveries } = await r.engine.send({ from: 'x', to: 'ann', text: 'one', thread_id: null, mode: 'wait' })
    const id = deliveries[0]!.delivery_id
    r.verified('bob', id) // bob's worker cannot settle ann's delivery
    assert.equal(r.deliveries.get(id)!.stage, 'accepted')
    r.verified('ann', id)
    const before = r.events.length
    r.verified('ann', id)
    r.frame('ann', 'delivery_queued', id) // never backwards
    assert.equal(r.events.length, before)
    assert.equal(r.deliveries.get(id)!.stage, 'verified')
  })

  test(`at most ${DELIVERY_INFLIGHT_PER_AGENT} deliveries are in a worker at once; a finished one lets the next in, in order`, async () => {
    const r = rig(['ann'])
    const ids: string[] = []
    for (let i = 0; i < DELIVERY_INFLIGHT_PER_AGENT + 2; i++) ids.push((await r.engine.send({ from: 'x', to: 'ann', text: `m${i}`, thread_id: null, mode: 'wait' })).deliveries[0]!.delivery_id)
    const w = worker(r, 'ann')
    assert.equal(w.handed.length, DELIVERY_INFLIGHT_PER_AGENT)
    r.verified('ann', ids[0]!)
    assert.equal(w.handed.length, DELIVERY_INFLIGHT_PER_AGENT + 1)
    assert.deepEqual(w.handed.map((p) => p.body), ['m0', 'm1', 'm2'])
  })

  test('an agent whose worker is down keeps its deliveries; the next worker gets them once', async () => {
    const r = rig(['ann'])
    r.workers.set('ann', null)
    const id = (await r.engine.send({ from: 'x', to: 'ann', text: 'later', thread_id: null, mode: 'wait' })).deliveries[0]!.delivery_id
    const next = new FakeWorker()
    r.workers.set('ann', next)
    r.engine.onAgentStarted('ann')
    r.engine.onAgentStarted('ann')
    assert.deepEqual(next.handed.map((p) => p.delivery_id), [id])
  })

  test('a worker that cannot take the frame now (not reading) gets it on the next pump', async () => {
    const r = rig(['ann'])
    const w = worker(r, 'ann')
    w.accepting = false
    await r.engine.send({ from: 'x', to: 'ann', text: 'held', thread_id: null, mode: 'wait' })
    assert.equal(w.handed.length, 0)
    w.accepting = true
    r.engine.tick(Date.now())
    assert.equal(w.handed.length, 1)
  })

  test('not typed and failed by the worker: back to the mailbox and handed again as attempt 2 (delivery_retry)', async () => {
    const r = rig(['ann'])
    const id = (await r.engine.send({ from: 'x', to: 'ann', text: 'again', thread_id: null, mode: 'wait' })).deliveries[0]!.delivery_id
    r.frame('ann', 'delivery_queued', id)
    r.failed('ann', id, 'queued')
    assert.equal(r.deliveries.get(id)!.stage, 'queued')
    r.engine.pump('ann')
    assert.equal(worker(r, 'ann').handed.length, 2)
    assert.equal(r.deliveries.get(id)!.attempts, 2)
    assert.ok(r.kinds('ann').includes('delivery_retry'))
  })

  test('typed (injected) and then failed: ends failed, never handed again', async () => {
    const r = rig(['ann'])
    const id = (await r.engine.send({ from: 'x', to: 'ann', text: 'once', thread_id: null, mode: 'wait' })).deliveries[0]!.delivery_id
    r.frame('ann', 'delivery_injected', id)
    r.failed('ann', id, 'injected')
    assert.equal(r.deliveries.get(id)!.stage, 'failed')
    r.engine.pump('ann')
    assert.equal(worker(r, 'ann').handed.length, 1)
    assert.deepEqual(r.kinds('ann').slice(-2), ['delivery_failed', 'message_delivery_failed'])
  })

  test('an agent gone for good: untyped deliveries are dead letters (the sending agent is told), typed ones fail', async () => {
    const r = rig(['ann', 'bob'])
    const typed = (await r.engine.send({ from: 'bob', to: 'ann', text: 'typed', thread_id: null, mode: 'wait' })).deliveries[0]!.delivery_id
    r.frame('ann', 'delivery_injecting', typed)
    const untyped = (await r.engine.send({ from: 'bob', to: 'ann', text: 'untyped', thread_id: null, mode: 'wait' })).deliveries[0]!.delivery_id
    r.workers.delete('ann')
    r.engine.onAgentDown('ann', true, 'agent_released')
    assert.equal(r.deliveries.get(typed)!.stage, 'failed')
    assert.equal(r.deliveries.get(untyped)!.stage, 'dead_lettered')
    const notice = worker(r, 'bob').handed.find((p) => p.from === 'broker')
    assert.ok(notice, 'bob hears that his message was not delivered')
    assert.match(notice.body, new RegExp(untyped))
  })

  test('the facts file of the agent decides: a delivery its child saw on screen ends verified after the agent is gone', async () => {
    const r = rig(['ann'])
    const id = (await r.engine.send({ from: 'x', to: 'ann', text: 'seen', thread_id: null, mode: 'wait' })).deliveries[0]!.delivery_id
    appendFileSync(r.engine.factsPath('ann'), JSON.stringify({ id, fact: 'verified' }) + '\n')
    r.workers.delete('ann')
    r.engine.onAgentDown('ann', true, 'worker_exited')
    assert.equal(r.deliveries.get(id)!.stage, 'verified')
  })

  test('a delivery not typed before its deadline becomes a dead letter on the tick', async () => {
    const r = rig(['ann'], { timeoutSecs: 1 })
    r.workers.set('ann', null)
    const id = (await r.engine.send({ from: 'x', to: 'ann', text: 'late', thread_id: null, mode: 'wait' })).deliveries[0]!.delivery_id
    r.engine.tick(Date.now() + 2000)
    assert.equal(r.deliveries.get(id)!.stage, 'dead_lettered')
    assert.match(r.deliveries.get(id)!.reason!, /not typed within 1s/)
  })

  test('a dead letter is redelivered as a new delivery; one whose facts say it was typed only with force', async () => {
    const r = rig(['ann'], { timeoutSecs: 1 })
    r.workers.set('ann', null)
    const id = (await r.engine.send({ from: 'x', to: 'ann', text: 'dl', thread_id: null, mode: 'wait' })).deliveries[0]!.delivery_id
    r.engine.tick(Date.now() + 2000)
    const again = r.engine.redeliver(id)
    assert.notEqual(again.record.delivery_id, id)
    assert.equal(again.forced, false)
    assert.equal(r.deliveries.get(id)!.redelivered_as, again.record.delivery_id)

    const id2 = (await r.engine.send({ from: 'x', to: 'ann', text: 'dl2', thread_id: null, mode: 'wait' })).deliveries[0]!.delivery_id
    r.engine.tick(Date.now() + 2000)
    appendFileSync(r.engine.factsPath('ann'), JSON.stringify({ id: id2, fact: 'injecting' }) + '\n')
    assert.throws(() => r.engine.redeliver(id2), PossiblyTypedError)
    assert.equal(r.engine.redeliver(id2, true).forced, true)
  })

  test('the same idempotency key is accepted once; a target nobody answers to is refused', async () => {
    const r = rig(['ann'])
    const a = await r.engine.send({ from: 'x', to: 'ann', text: 'k', thread_id: null, mode: 'wait', idempotency_key: 'key-1' })
    const b = await r.engine.send({ from: 'x', to: 'ann', text: 'k', thread_id: null, mode: 'wait', idempotency_key: 'key-1' })
    assert.equal(b.duplicate, true)
    assert.equal(b.event_id, a.event_id)
    assert.equal(worker(r, 'ann').handed.length, 1)
    await assert.rejects(r.engine.send({ from: 'x', to: 'nobody', text: 'k', thread_id: null, mode: 'wait' }), NoRecipientError)
  })

  test('a channel message becomes one delivery per member but the sender', async () => {
    const r = rig(['ann', 'bob', 'cat'])
    const res = await r.engine.send({ from: 'bob', to: '#general', text: 'all', thread_id: null, mode: 'wait' })
    assert.deepEqual([...res.targets].sort(), ['ann', 'cat'])
    assert.equal(worker(r, 'bob').handed.length, 0)
    assert.equal(worker(r, 'ann').handed.length, 1)
    assert.equal(worker(r, 'cat').handed.length, 1)
  })

  test('a restarted engine replays its journal: open deliveries come back to their mailboxes, finished ones stay finished', async () => {
    const r = rig(['ann'])
    const done = (await r.engine.send({ from: 'x', to: 'ann', text: 'done', thread_id: null, mode: 'wait' })).deliveries[0]!.delivery_id
    r.verified('ann', done)
    const open = (await r.engine.send({ from: 'x', to: 'ann', text: 'open', thread_id: null, mode: 'wait' })).deliveries[0]!.delivery_id
    r.engine.close()
    const deliveries = new DeliveryTracker()
    const w = new FakeWorker()
    const again = new DeliveryEngine({
      brokerName: 'unit',
      stateDir: r.stateDir,
      deliveries,
      hub: new EmbeddedHub('local'),
      recipients: { has: () => true, worker: () => w, injectTimeoutSecs: () => undefined },
      log: { info: () => {}, warn: () => {} },
      emit: () => {}
    })
    again.restore()
    assert.equal(deliveries.get(done)!.stage, 'verified')
    assert.equal(deliveries.get(open)!.stage, 'accepted')
    again.onAgentStarted('ann')
    assert.deepEqual(w.handed.map((p) => p.delivery_id), [open])
  })
})
