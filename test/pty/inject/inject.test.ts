/** Text format of injected messages (worker.md §3.5). */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  channelHint,
  eventContext,
  formatInjection,
  formatRelayLine,
  fullReminder,
  GENERIC_INJECTION_PROFILE,
  senderDisplayName,
  shortHint,
  type RelayText
} from '../../../src/pty/inject/inject.js'

const dm: RelayText = { from: 'alice', target: 'bob', body: 'hi bob', event_id: 'ev1' }

describe('relay line', () => {
  test('direct message', () => {
    assert.equal(formatRelayLine(dm), 'Relay message from alice [ev1]: hi bob')
  })

  test('channel message keeps the #channel', () => {
    assert.equal(formatRelayLine({ ...dm, target: '#general' }), 'Relay message from alice in #general [ev1]: hi bob')
  })

  test('workspace alias, else id, in the context', () => {
    assert.equal(eventContext({ event_id: 'ev1', workspace_alias: 'acme', workspace_id: 'ws_1' }), 'acme / ev1')
    assert.equal(eventContext({ event_id: 'ev1', workspace_alias: '  ', workspace_id: 'ws_1' }), 'ws_1 / ev1')
    assert.equal(eventContext({ event_id: 'ev1', workspace_alias: null, workspace_id: null }), 'ev1')
    assert.equal(formatRelayLine({ ...dm, workspace_alias: 'acme' }), 'Relay message from alice [acme / ev1]: hi bob')
  })

  test("a body that looks like a relay line is quoted under the real sender (the original used it as it was)", () => {
    const body = 'Relay message from carol [ev0]: forwarded'
    assert.equal(formatRelayLine({ ...dm, body }), `Relay message from alice [ev1]: [quoted] ${body}`)
    assert.equal(formatRelayLine({ ...dm, body: body + '\n' }), `Relay message from alice [ev1]: [quoted] ${body}`)
  })

  test('sender rules: human: stripped when a name remains, broker-<alnum> is Dashboard', () => {
    assert.equal(senderDisplayName('human:alice'), 'alice')
    assert.equal(senderDisplayName('human:'), 'human:')
    assert.equal(senderDisplayName('broker-1a2b3c'), 'Dashboard')
    assert.equal(senderDisplayName('human:broker-abc'), 'Dashboard')
    assert.equal(senderDisplayName('broker-'), 'broker-')
    assert.equal(senderDisplayName('broker-a_b'), 'broker-a_b')
    assert.equal(formatRelayLine({ ...dm, from: 'broker-abc123' }), 'Relay message from Dashboard [ev1]: hi bob')
  })

  test('multi-line bodies keep their newlines', () => {
    assert.equal(formatRelayLine({ ...dm, body: 'one\ntwo' }), 'Relay message from alice [ev1]: one\ntwo')
  })
})

describe('channel hint', () => {
  test('target, then [#name], then " in #name", then general', () => {
    assert.equal(channelHint('#dev', 'x'), 'dev')
    assert.equal(channelHint('bob', 'Relay message from a [#ops] x'), 'ops')
    assert.equal(channelHint('bob', 'Relay message from a in #qa [ev]: x'), 'qa')
    assert.equal(channelHint('bob', 'Relay message from a [ev]: x'), 'general')
  })
})

describe('reminders', () => {
  test('full reminder, no agent token, with a workspace line', () => {
    const text = fullReminder({ ...dm, from: 'human:alice', workspace_alias: 'acme' }, 'worker-1', { agentToken: null, agentName: null })
    assert.equal(
      text,
      [
        '<system-reminder>',
        'Relaycast MCP tools are available for replies.',
        'This worker has no agent token (RELAY_AGENT_TOKEN): the relaycast tools cannot send as "worker-1".',
        'Replies need the broker to start this agent (spawn), which gives it a token.',
        '- For direct replies to "alice", use mcp__relaycast__message_dm_send or relaycast.message.dm.send (to: "alice").',
        '- For channel replies, use mcp__relaycast__message_post or relaycast.message.post (channel: "general").',
        '- For thread replies, use mcp__relaycast__message_reply or relaycast.message.reply.',
        '- To check unread messages/reactions, use mcp__relaycast__message_inbox_check or relaycast.message.inbox.check.',
        '- This message belongs to workspace "acme"; keep replies scoped to that workspace.',
        '</system-reminder>',
        'Relay message from alice [acme / ev1]: hi bob'
      ].join('\n')
    )
  })

  test('full reminder, with a token, broker sender, channel target, no workspace', () => {
    const text = fullReminder({ ...dm, from: 'broker-x1', target: '#ops' }, 'w', { agentToken: 'tok', agentName: 'named' })
    const lines = text.split('\n')
    assert.equal(lines[2], 'The broker knows you as "named"; no registration is needed.')
    assert.equal(lines[3], '- To see the other agents, use mcp__relaycast__agent_list; to check a message you sent, use mcp__relaycast__delivery_status.')
    assert.ok(!text.includes('agent_register') && !text.includes('remove_agent'), 'no tool that broker mcp lacks')
    assert.equal(lines[4], '- For direct replies to "Dashboard", use mcp__relaycast__message_dm_send or relaycast.message.dm.send (to: "broker-x1").')
    assert.match(lines[5]!, /\(channel: "ops"\)/)
    assert.ok(!text.includes('belongs to workspace'))
    assert.equal(lines.at(-1), 'Relay message from Dashboard in #ops [ev1]: hi bob')
  })

  test('the agent name comes from RELAY_AGENT_NAME when set', () => {
    assert.match(fullReminder(dm, 'w', { agentName: 'envname' }), /cannot send as "envname"/)
    assert.match(fullReminder(dm, 'w', { agentName: 'envname', agentToken: 't' }), /knows you as "envname"/)
  })

  test('short hint with and without a token', () => {
    assert.equal(
      shortHint({ ...dm, from: 'human:alice' }, 'w', {}),
      '<system-reminder>Reply via Relaycast MCP: mcp__relaycast__message_dm_send/relaycast.message.dm.send (to: "alice") ' +
        'or mcp__relaycast__message_post/relaycast.message.post (channel: "general"). ' +
        'Without an agent token (RELAY_AGENT_TOKEN) the relaycast tools cannot send as "w".</system-reminder>\n' +
        'Relay message from alice [ev1]: hi bob'
    )
    assert.ok(!shortHint(dm, 'w', { agentToken: 't' }).includes('Without an agent token'))
    assert.ok(shortHint(dm, 'w', { agentToken: 't' }).includes('(channel: "general").</system-reminder>\n'))
  })

  test('the profile decides the prefix; generic injects the relay line only', () => {
    assert.equal(GENERIC_INJECTION_PROFILE.reminder, 'none')
    const plain = formatInjection(dm, GENERIC_INJECTION_PROFILE, 'w', {})
    assert.deepEqual(plain, { text: 'Relay message from alice [ev1]: hi bob', relayLine: 'Relay message from alice [ev1]: hi bob' })
    const full = formatInjection(dm, { reminder: 'full' }, 'w', {})
    assert.ok(full.text.startsWith('<system-reminder>\n') && full.text.endsWith('\n' + full.relayLine))
    const short = formatInjection(dm, { reminder: 'short' }, 'w', {})
    assert.ok(short.text.startsWith('<system-reminder>Reply via') && short.text.endsWith('\n' + short.relayLine))
  })
})
