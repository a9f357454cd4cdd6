/**
 * Hostile deliveries against real agents in real PTYs, through the real `broker pty` child:
 * `bash --norc --noprofile` (generic profile: one line), bash in the C locale (ASCII-only typing),
 * and the paste fixture started as `aider` (a bracketed-paste profile). Every row tries to get
 * `touch pwned_<row>` run; none may leave a file. Raw input through `write_pty` (not an encoded
 * delivery) shows the marker mechanism does catch a submitted line.
 */
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RelayDelivery } from '../../src/protocol/frames.js'
import { FIXTURES, waitUntil, WorkerProcess, type Frame } from '../pty/harness.js'
import { HOSTILE_SEQUENCES, NAME_ATTACK_SEQUENCES, NON_UTF8_LOCALE_BODIES } from './hostile.js'

const PASTE_CLI = join(FIXTURES, 'paste-cli.mjs')
/** bash records each relay line it runs as one line of got.txt (a function named after the first word). */
const RECORDER = `Relay() { printf '%s\\n' "$*" >> got.txt; }\r`

type Row = Partial<RelayDelivery> & { delivery_id: string }

/** Every hostile row: bodies, senders, channel targets, DM targets, workspace labels. */
function hostileRows(bodiesOnly = false): Row[] {
  const rows: Row[] = []
  HOSTILE_SEQUENCES.forEach((seq, i) => {
    rows.push({ delivery_id: `b${i}`, body: `hi${seq}touch pwned_b${i}` })
    rows.push({ delivery_id: `c${i}`, body: `${seq}touch pwned_c${i}${seq}` })
  })
  if (bodiesOnly) return rows
  NAME_ATTACK_SEQUENCES.forEach((seq, i) => {
    rows.push({ delivery_id: `f${i}`, from: `evil${seq}touch pwned_f${i}${seq}`, body: 'hello' })
    rows.push({ delivery_id: `t${i}`, target: `#ch${seq}touch pwned_t${i}${seq}`, body: 'hello' })
    rows.push({ delivery_id: `n${i}`, target: `agent${seq}touch pwned_n${i}${seq}`, body: 'hello' })
    rows.push({ delivery_id: `w${i}`, workspace_alias: `ws${seq}touch pwned_w${i}${seq}`, body: 'hello' })
  })
  return rows
}

interface Agent {
  w: WorkerProcess
  dir: string
}

async function start(kind: 'bash' | 'bash-c-locale' | 'paste'): Promise<Agent> {
  const dir = mkdtempSync(join(tmpdir(), `hostile-${kind}-`))
  let cli: string[]
  const env: Record<string, string> = { FIXTURE_LOG: join(dir, 'prompts.jsonl') }
  if (kind === 'paste') {
    mkdirSync(join(dir, 'bin'))
    symlinkSync(PASTE_CLI, join(dir, 'bin', 'aider')) // the aider profile: bracketed paste, no reminder
    cli = [join(dir, 'bin', 'aider')]
  } else {
    cli = ['bash', '--', '--norc', '--noprofile']
    if (kind === 'bash-c-locale') Object.assign(env, { LANG: 'C', LC_ALL: 'C', LC_CTYPE: 'C' })
  }
  const w = new WorkerProcess(cli, { cwd: dir, env })
  w.init({ cli: cli[0]! })
  await w.waitType('worker_ready', () => true, 20_000)
  if (kind !== 'paste') {
    w.send('write_pty', { data: RECORDER })
    await waitUntil(() => w.streamText().includes('got.txt; }'), 10_000, 'the recorder function typed')
  }
  return { w, dir }
}

function ended(w: WorkerProcess, id: string): Frame | undefined {
  return w.frames.find((f) => (f.type === 'delivery_verified' || f.type === 'delivery_failed') && (f.payload as { delivery_id: string }).delivery_id === id)
}

/** Delivers the rows one after another; returns the ids that were verified. */
async function deliverAll(a: Agent, rows: Row[]): Promise<string[]> {
  const verified: string[] = []
  for (const row of rows) {
    a.w.deliver(row)
    await waitUntil(() => ended(a.w, row.delivery_id) !== undefined, 20_000, `delivery ${row.delivery_id} to end`)
    if (ended(a.w, row.delivery_id)!.type === 'delivery_verified') verified.push(row.delivery_id)
  }
  return verified
}

/**
 * Delivers every hostile row, proves the marker check can see an injected line (raw input, not a
 * delivery, does run), asserts no row left a marker, then delivers the three-line message `three`
 * and asserts it is verified. Returns the ids of the verified hostile rows.
 */
async function hostileThenThreeLines(a: Agent, rows: Row[], threeLines: string): Promise<string[]> {
  const verified = await deliverAll(a, rows)
  a.w.send('write_pty', { data: 'touch control_marker\r' })
  await waitUntil(() => existsSync(join(a.dir, 'control_marker')), 10_000, 'the control marker (raw input does run)')
  assert.deepEqual(markers(a.dir), [], 'no hostile row left a marker')
  const three = await deliverAll(a, [{ delivery_id: 'three', body: threeLines }])
  assert.deepEqual(three, ['three'], 'the three-line message is verified')
  return verified
}

function markers(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('pwned'))
}

function gotLines(dir: string): string[] {
  const p = join(dir, 'got.txt')
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter((l) => l.length > 0) : []
}

/** How long a test waits for the program to record a line it was typed after the delivery was verified. */
const RECORD_WAIT_MS = 10_000

/**
 * `read()` once it holds at least `count` entries (or as it is after the bounded wait): a delivery is
 * verified when its line is on the screen, which can be just before the program has read and recorded it.
 */
async function recorded(read: () => string[], count: number): Promise<string[]> {
  await waitUntil(() => read().length >= count, RECORD_WAIT_MS, `${count} recorded lines`).catch(() => undefined)
  return read()
}

function prompts(dir: string): string[] {
  const p = join(dir, 'prompts.jsonl')
  if (!existsSync(p)) return []
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => (JSON.parse(l) as { prompt: string }).prompt)
}

describe('hostile deliveries against real agents', { concurrency: 3 }, () => {
  const agents: Agent[] = []
  after(async () => {
    for (const a of agents) await a.w.stop()
  })

  test('bash --norc --noprofile: no row runs a command; each typed delivery is one line; 3 lines arrive as one', async () => {
    const a = await start('bash')
    agents.push(a)
    const rows = hostileRows()
    const verified = await hostileThenThreeLines(a, rows, 'line one\nline two\r\nline three')
    const got = await recorded(() => gotLines(a.dir), verified.length + 1)
    assert.equal(got.length, verified.length + 1, `one recorded line per verified delivery (verified ${verified.length} of ${rows.length})`)
    assert.ok(verified.length >= rows.filter((r) => r.body !== 'hello').length, 'every hostile body was typed and verified')
    assert.match(got.at(-1)!, /^message from alice \[ev_three\]: line one ⏎ line two ⏎ line three$/)
  })

  test('bash in the C locale (readline takes 8-bit bytes as Meta keys): non-ASCII is typed as {U+XXXX}', async () => {
    const a = await start('bash-c-locale')
    agents.push(a)
    const rows: Row[] = [
      ...hostileRows(true),
      ...NON_UTF8_LOCALE_BODIES.map((body, i) => ({ delivery_id: `u${i}`, body: `${body} touch pwned_u${i}` }))
    ]
    const verified = await hostileThenThreeLines(a, rows, 'line one\nline two é\nline three')
    const got = await recorded(() => gotLines(a.dir), verified.length + 1)
    assert.equal(got.length, verified.length + 1, `one recorded line per verified delivery (verified ${verified.length} of ${rows.length})`)
    assert.equal(verified.length, rows.length, 'every row was typed and verified')
    assert.equal(got.at(-1), 'message from alice [ev_three]: line one // line two {U+00E9} // line three')
  })

  test('bracketed-paste profile: no row gets a prompt of its own submitted; 3 lines arrive as one prompt', async () => {
    const a = await start('paste')
    agents.push(a)
    const rows = hostileRows()
    const verified = await hostileThenThreeLines(a, rows, 'line one\nline two\nline three')
    const all = await recorded(() => prompts(a.dir), verified.length + 2)
    const fromBroker = all.filter((p) => p.startsWith('Relay message from '))
    assert.equal(fromBroker.length, verified.length + 1, 'one prompt per verified delivery')
    assert.equal(all.length, fromBroker.length + 1, 'the only prompt without the header is the raw control one')
    assert.deepEqual(fromBroker.at(-1)!.split('\n'), ['Relay message from alice [ev_three]: line one', 'line two', 'line three'])
  })
})
