/** The two WebSockets: `/api/input/{name}/stream` and `/ws` framing and liveness (§5). */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import WebSocket from 'ws'
import { ECHO_CLI, TestBroker, readJsonLines, waitUntil, type EventLog } from '../e2e/harness.js'
import { tempDir } from '../sdk/harness.js'

interface RawSocket {
  ws: WebSocket
  frames: any[]
  pings: number
  closed: Promise<number>
  next(): Promise<any>
}

function open(url: string, apiKey: string): Promise<RawSocket> {
  const ws = new WebSocket(url, { headers: { 'x-api-key': apiKey } })
  const frames: any[] = []
  const waiters: ((f: any) => void)[] = []
  const sock: RawSocket = {
    ws,
    frames,
    pings: 0,
    closed: new Promise((resolve) => ws.on('close', (code) => resolve(code))),
    next() {
      if (frames.length > 0) return Promise.resolve(frames.shift())
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no frame within 5 s')), 5_000)
        waiters.push((f) => {
          clearTimeout(t)
          resolve(f)
        })
      })
    }
  }
  ws.on('ping', () => sock.pings++)
  ws.on('message', (data, isBinary) => {
    assert.equal(isBinary, false, 'the server sends text frames')
    const f = JSON.parse(data.toString())
    const w = waiters.shift()
    if (w) w(f)
    else frames.push(f)
  })
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(sock))
    ws.once('error', reject)
  })
}

describe('WebSocket streams', () => {
  let broker: TestBroker
  let events: EventLog
  let fixtureLog: string
  let wsBase: string
  const linesOf = (agent: string) => readJsonLines(fixtureLog).filter((l) => l.agent === agent).map((l) => l.line as string)

  before(async () => {
    const dir = tempDir('relay-streams-')
    fixtureLog = join(dir, 'fixture.jsonl')
    broker = await new TestBroker({ stateDir: dir, env: { FIXTURE_LOG: fixtureLog } }).ready()
    wsBase = broker.url.replace(/^http/, 'ws')
    events = broker.events()
    await events.opened
    await broker.spawnAgent('inp', ECHO_CLI)
    await events.waitKind('worker_ready', 'inp')
  })

  after(async () => {
    events?.close()
    await broker?.stop()
  })

  test('input stream: ready, text, wrapper, other JSON literally, binary UTF-8; bad frames keep it open', async () => {
    const s = await open(`${wsBase}/api/input/inp/stream`, broker.apiKey)
    assert.deepEqual(await s.next(), { type: 'pty_input_ready', name: 'inp' })
    const ack = (bytes: number) => ({ type: 'pty_input_ack', name: 'inp', bytes_written: bytes })
    s.ws.send('raw text\r')
    assert.deepEqual(await s.next(), ack(9))
    s.ws.send('  {"type":"pty_input","data":"wrapped é\\r"}  ')
    assert.deepEqual(await s.next(), ack(11))
    s.ws.send('{"type":"pty_input"}')
    assert.deepEqual(await s.next(), {
      type: 'pty_input_error',
      code: 'invalid_input',
      message: "pty_input frame must include a string 'data' field",
      retryable: false,
      statusCode: 400
    })
    s.ws.send('{"hello":1}')
    assert.deepEqual(await s.next(), ack(11))
    s.ws.send('\r')
    assert.deepEqual(await s.next(), ack(1))
    s.ws.send(Buffer.from('binary line\r'), { binary: true })
    assert.deepEqual(await s.next(), ack(12))
    s.ws.send(Buffer.from([0xff, 0xfe, 0x41]), { binary: true })
    const bad = await s.next()
    assert.equal(bad.code, 'invalid_input')
    assert.equal(bad.message, 'binary input frames must be valid UTF-8')
    s.ws.send('after error\r')
    assert.deepEqual(await s.next(), ack(12))
    await waitUntil(() => linesOf('inp').includes('after error'), 5_000, 'all lines typed')
    const lines = linesOf('inp')
    const order = ['raw text', 'wrapped é', '{"hello":1}', 'binary line', 'after error'].map((l) => lines.indexOf(l))
    assert.ok(order.every((i) => i >= 0), JSON.stringify(lines))
    assert.deepEqual(order, [...order].sort((a, b) => a - b), 'typed in the order sent')
    s.ws.close()
  })

  test('input stream: HTTP input and two streams to one agent are serialized, nothing interleaves', async () => {
    const a = await open(`${wsBase}/api/input/inp/stream`, broker.apiKey)
    const b = await open(`${wsBase}/api/input/inp/stream`, broker.apiKey)
    await a.next()
    await b.next()
    const sends: Promise<unknown>[] = []
    for (let i = 0; i < 20; i++) {
      a.ws.send(`a-${i}-${'x'.repeat(200)}\r`)
      b.ws.send(`b-${i}-${'y'.repeat(200)}\r`)
      sends.push(broker.api('POST', '/api/input/inp', { data: `h-${i}\r` }))
    }
    await Promise.all(sends)
    for (let i = 0; i < 20; i++) {
      assert.equal((await a.next()).type, 'pty_input_ack')
      assert.equal((await b.next()).type, 'pty_input_ack')
    }
    await waitUntil(() => linesOf('inp').filter((l) => /^[abh]-\d+/.test(l)).length >= 60, 10_000, 'all 60 lines')
    const got = linesOf('inp').filter((l) => /^[abh]-\d+/.test(l))
    for (const l of got) assert.match(l, /^(a-\d+-x{200}|b-\d+-y{200}|h-\d+)$/, 'each write arrives whole')
    for (const p of ['a', 'b', 'h']) {
      const nums = got.filter((l) => l.startsWith(`${p}-`)).map((l) => Number(l.split('-')[1]))
      assert.deepEqual(nums, [...Array(20).keys()], `${p} in order`)
    }
    a.ws.close()
    b.ws.close()
  })

  test('input stream: unknown agent → pty_input_error 404 and a Close without status code; released agent too', async () => {
    const s = await open(`${wsBase}/api/input/ghost/stream`, broker.apiKey)
    assert.deepEqual(await s.next(), {
      type: 'pty_input_error',
      code: 'agent_not_found',
      message: "agent_not_found: no worker named 'ghost'",
      retryable: false,
      statusCode: 404
    })
    assert.equal(await s.closed, 1005)

    await broker.spawnAgent('brief', ECHO_CLI)
    const live = await open(`${wsBase}/api/input/brief/stream`, broker.apiKey)
    assert.equal((await live.next()).type, 'pty_input_ready')
    await broker.api('DELETE', '/api/spawned/brief')
    live.ws.send('too late\r')
    const err = await live.next()
    assert.equal(err.type, 'pty_input_error')
    assert.equal(err.code, 'agent_not_found')
    assert.equal(await live.closed, 1005)
  })

  test('/ws: one bare JSON event per text frame, seq on durable events only, ping right after the replay', async () => {
    const s = await open(`${wsBase}/ws?sinceSeq=0`, broker.apiKey)
    await waitUntil(() => s.pings >= 1 && s.frames.length > 0, 5_000, 'replay and first ping')
    assert.ok(s.frames.every((f) => typeof f.kind === 'string' && !('payload' in f) && !('type' in f && 'v' in f)))
    assert.ok(!s.frames.some((f) => f.kind === 'replay_gap'), 'nothing was evicted: no gap')
    assert.ok(s.frames.every((f) => typeof f.seq === 'number'), 'the replay is durable events only')
    const seqs = s.frames.map((f) => f.seq)
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b))
    s.frames.length = 0
    await broker.api('POST', '/api/input/inp', { data: 'stream me\r' })
    await waitUntil(() => s.frames.some((f) => f.kind === 'worker_stream'), 5_000, 'a worker_stream frame')
    const chunk = s.frames.find((f) => f.kind === 'worker_stream')
    assert.equal(chunk.seq, undefined, 'worker_stream is ephemeral')
    assert.equal(chunk.name, 'inp')
    assert.equal(chunk.stream, 'stdout')
    const last = Math.max(...seqs)
    const later = await open(`${wsBase}/ws?since_seq=${last}`, broker.apiKey)
    await waitUntil(() => later.pings >= 1, 5_000, 'ping after an empty replay')
    assert.ok(later.frames.every((f) => f.seq === undefined || f.seq > last))
    s.ws.close()
    later.ws.close()
  })
})
