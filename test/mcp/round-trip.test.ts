/**
 * `broker mcp` driven by the MCP SDK's own client (stdio), as agent A would: its tools go through
 * the broker's agent API; a send reaches agent B's terminal (B's fixture reads the text), and
 * the delivery id in the tool result reaches `verified`.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { BROKER_BIN, ECHO_CLI, EventLog, readJsonLines, TestBroker, waitUntil } from '../e2e/harness.js'

const TOKEN_A = `at_${'a1'.repeat(16)}`
const TOKEN_B = `at_${'b2'.repeat(16)}`

interface ToolResult {
  isError?: boolean
  structuredContent?: any
  content: { type: string; text?: string }[]
}

async function mcpClient(env: Record<string, string>, command = process.execPath, args = [BROKER_BIN, 'mcp']): Promise<Client> {
  const client = new Client({ name: 'relay-test', version: '1.0.0' })
  await client.connect(new StdioClientTransport({ command, args, env: { PATH: process.env.PATH ?? '', ...env }, stderr: 'pipe' }))
  return client
}

describe('broker mcp round trip', { concurrency: 1 }, () => {
  let broker: TestBroker
  let events: EventLog
  let fixtureLog: string
  let a: Client

  before(async () => {
    fixtureLog = join(mkdtempSync(join(tmpdir(), 'mcp-rt-')), 'fixture.log')
    broker = await new TestBroker({ env: { FIXTURE_LOG: fixtureLog } }).ready()
    events = broker.events()
    await events.opened
    await broker.spawnAgent('a', ECHO_CLI, { agent_token: TOKEN_A })
    await broker.spawnAgent('b', ECHO_CLI, { agent_token: TOKEN_B })
    await events.waitKind('worker_ready', 'a')
    await events.waitKind('worker_ready', 'b')
    a = await mcpClient({ RELAY_BROKER_URL: broker.url, RELAY_AGENT_NAME: 'a', RELAY_AGENT_TOKEN: TOKEN_A })
  })

  after(async () => {
    await a?.close()
    events.close()
    await broker.stop()
  })

  const call = (c: Client, name: string, args: Record<string, unknown> = {}) => c.callTool({ name, arguments: args }) as Promise<ToolResult>

  test('the server is "relaycast" with the seven relay tools, submit_result and task_done', async () => {
    assert.equal(a.getServerVersion()?.name, 'relaycast')
    const names = (await a.listTools()).tools.map((t) => t.name).sort()
    assert.deepEqual(names, ['agent_list', 'delivery_status', 'message_dm_send', 'message_inbox_check', 'message_post', 'message_reply', 'message_search', 'submit_result', 'task_done'])
  })

  test('A sends a DM through the tool: relay_inbound, B reads the text, the delivery reaches verified', async () => {
    const res = await call(a, 'message_dm_send', { to: 'b', text: 'hello b, from a through mcp' })
    assert.ok(!res.isError, JSON.stringify(res))
    const sent = res.structuredContent
    assert.deepEqual(sent.targets, ['b'])
    const deliveryId = sent.deliveries[0].delivery_id as string
    assert.match(deliveryId, /\S+/)
    const inbound = await events.waitFor((e) => e.kind === 'relay_inbound' && e.event_id === sent.event_id, 10_000, 'relay_inbound')
    assert.equal(inbound.from, 'a')
    await waitUntil(() => readJsonLines(fixtureLog).some((l) => l.agent === 'b' && String(l.line).includes('hello b, from a through mcp')), 10_000, 'B read the text')
    let stage = ''
    for (let i = 0; i < 100 && stage !== 'verified'; i++) {
      const st = await call(a, 'delivery_status', { delivery_id: deliveryId })
      assert.ok(!st.isError, JSON.stringify(st))
      stage = st.structuredContent.stage
      if (stage !== 'verified') await new Promise((r) => setTimeout(r, 100))
    }
    assert.equal(stage, 'verified')
    const history = (await call(a, 'delivery_status', { delivery_id: deliveryId })).structuredContent.history.map((h: { stage: string }) => h.stage)
    assert.ok(history.includes('injected') && history.at(-1) === 'verified', history.join(','))
  })

  test('post to a channel, reply in a thread, list agents, read the inbox as B', async () => {
    const posted = await call(a, 'message_post', { channel: '#general', text: 'channel news' })
    assert.ok(!posted.isError, JSON.stringify(posted))
    assert.deepEqual(posted.structuredContent.targets, ['b'])
    const replied = await call(a, 'message_reply', { thread_id: posted.structuredContent.event_id, to: 'b', text: 'in the thread' })
    assert.ok(!replied.isError, JSON.stringify(replied))
    const inbound = await events.waitFor((e) => e.kind === 'relay_inbound' && e.event_id === replied.structuredContent.event_id)
    assert.equal(inbound.thread_id, posted.structuredContent.event_id)

    const listed = (await call(a, 'agent_list')).structuredContent
    assert.equal(listed.self, 'a')
    assert.deepEqual(listed.agents.map((x: { name: string }) => x.name), ['a', 'b'])

    const b = await mcpClient({ RELAY_BROKER_URL: broker.url, RELAY_AGENT_NAME: 'b', RELAY_AGENT_TOKEN: TOKEN_B })
    try {
      const inbox = (await call(b, 'message_inbox_check', { since: 0 })).structuredContent
      assert.equal(inbox.agent, 'b')
      const bodies = inbox.messages.map((m: { body: string }) => m.body)
      assert.ok(bodies.includes('channel news') && bodies.includes('in the thread'), bodies.join(' | '))
      const again = (await call(b, 'message_inbox_check', { since: inbox.cursor })).structuredContent
      assert.deepEqual(again.messages, [])
    } finally {
      await b.close()
    }
  })

  test('message_search finds what the agent could have seen, newest first, with filters', async () => {
    const found = await call(a, 'message_search', { q: 'THROUGH mcp' })
    assert.ok(!found.isError, JSON.stringify(found))
    assert.deepEqual(found.structuredContent.messages.map((m: { body: string }) => m.body), ['hello b, from a through mcp'])
    const news = (await call(a, 'message_search', { q: 'news', channel: 'general', from: 'a', limit: 5 })).structuredContent
    assert.deepEqual(news.messages.map((m: { body: string; to: string }) => [m.body, m.to]), [['channel news', '#general']])
    assert.equal((await call(a, 'message_search', { q: 'news', to: 'b' })).structuredContent.count, 0, 'a post is not a direct message')
    // b's own search: only what b could have seen (all of these were sent to b)
    const b = await mcpClient({ RELAY_BROKER_URL: broker.url, RELAY_AGENT_NAME: 'b', RELAY_AGENT_TOKEN: TOKEN_B })
    try {
      const seen = (await call(b, 'message_search', { q: 'thread' })).structuredContent
      assert.deepEqual(seen.messages.map((m: { body: string }) => m.body), ['in the thread'])
    } finally {
      await b.close()
    }
  })

  test('errors come back as tool errors with the broker\'s code', async () => {
    const ghost = await call(a, 'message_dm_send', { to: 'ghost', text: 'anyone?' })
    assert.equal(ghost.isError, true)
    assert.equal(ghost.structuredContent.error.code, 'agent_not_found')
    const chan = await call(a, 'message_dm_send', { to: '#general', text: 'wrong tool' })
    assert.equal(chan.isError, true)
    const unknown = await call(a, 'delivery_status', { delivery_id: 'del_nope' })
    assert.equal(unknown.isError, true)
    assert.equal(unknown.structuredContent.error.status, 404)
  })

  test('submit_result: the schema is in its description; a mismatch is a tool error naming the problem; a match is agent_result; final ends a task agent', async () => {
    const TOKEN_T = `at_${'c3'.repeat(16)}`
    const schema = { type: 'object', properties: { verdict: { type: 'string', enum: ['pass', 'fail'] } }, required: ['verdict'] }
    await broker.spawnAgent('t', ECHO_CLI, { agent_token: TOKEN_T, agentResultSchema: schema, exitAfterTask: true })
    await events.waitKind('worker_ready', 't')
    const t = await mcpClient({ RELAY_BROKER_URL: broker.url, RELAY_AGENT_NAME: 't', RELAY_AGENT_TOKEN: TOKEN_T })
    try {
      const tool = (await t.listTools()).tools.find((x) => x.name === 'submit_result')!
      assert.ok(tool.description!.includes(JSON.stringify(schema)), tool.description)
      const bad = await call(t, 'submit_result', { data: { verdict: 'maybe' } })
      assert.equal(bad.isError, true)
      assert.equal(bad.structuredContent.error.code, 'result_schema_mismatch')
      assert.match(bad.content[0]!.text!, /verdict: /)
      assert.equal(events.of('agent_result', 't').length, 0)
      const interim = await call(t, 'submit_result', { data: { verdict: 'fail' }, final: false, metadata: { step: 1 } })
      assert.ok(!interim.isError, JSON.stringify(interim))
      const first = await events.waitKind('agent_result', 't')
      assert.deepEqual([first.data, first.final, first.metadata], [{ verdict: 'fail' }, false, { step: 1 }])
      const good = await call(t, 'submit_result', { data: { verdict: 'pass' } })
      assert.equal(good.structuredContent.task_complete, true)
      const exited = await events.waitKind('agent_exited', 't')
      assert.deepEqual([exited.code, exited.signal, exited.reason], [0, null, 'task_complete'])
      assert.equal(events.of('agent_result', 't').length, 2)
    } finally {
      await t.close()
    }
  })

  test('a wrong token is refused by the broker, not guessed around', async () => {
    const bad = await mcpClient({ RELAY_BROKER_URL: broker.url, RELAY_AGENT_NAME: 'a', RELAY_AGENT_TOKEN: 'at_wrong' })
    try {
      const res = await call(bad, 'agent_list')
      assert.equal(res.isError, true)
      assert.equal(res.structuredContent.error.status, 401)
    } finally {
      await bad.close()
    }
  })

  test('an unexpanded ${VAR} reference is read from the parent process (the agent CLI)', async () => {
    // sh holds the real identity (like a CLI whose env the broker set) and starts broker mcp with
    // literal references, as a CLI that neither expands them nor passes its env would.
    const script = `env RELAY_BROKER_URL='\${RELAY_BROKER_URL}' RELAY_AGENT_NAME='\${RELAY_AGENT_NAME}' RELAY_AGENT_TOKEN='\${RELAY_AGENT_TOKEN}' "${process.execPath}" "${BROKER_BIN}" mcp; exit 0`
    const viaParent = await mcpClient({ RELAY_BROKER_URL: broker.url, RELAY_AGENT_NAME: 'a', RELAY_AGENT_TOKEN: TOKEN_A }, '/bin/sh', ['-c', script])
    try {
      const listed = await call(viaParent, 'agent_list')
      assert.ok(!listed.isError, JSON.stringify(listed))
      assert.equal(listed.structuredContent.self, 'a')
    } finally {
      await viaParent.close()
    }
  })
})
