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
} from '../../src/pty/inject.js'

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

  test('a body that already is a relay line is used as it is', () => {
    const body = 'Relay message from carol [ev0]: forwarded'
    assert.equal(formatRelayLine({ ...dm, body }), body)
    assert.equal(formatRelayLine({ ...dm, body: body + '\n' }), body)
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
  test('full reminder, not pre-registered, with a workspace line', () => {
    const text = fullReminder({ ...dm, from: 'human:alice', workspace_alias: 'acme' }, 'worker-1', { agentToken: null, agentName: null })
    assert.equal(
      text,
      [
        '<system-reminder>',
        'Relaycast MCP tools are available for replies.',
        'This worker was not pre-registered by the broker.',
        'Before replying, call mcp__relaycast__agent_register (name: "worker-1", type: "agent").',
        '- For direct replies to "alice", use mcp__relaycast__message_dm_send or relaycast.message.dm.send (to: "alice").',
        '- For channel replies, use mcp__relaycast__message_post or relaycast.message.post (channel: "general").',
        '- For thread replies, use mcp__relaycast__message_reply or relaycast.message.reply.',
        '- To check unread messages/reactions, use mcp__relaycast__message_inbox_check or relaycast.message.inbox.check.',
        '- To self-terminate when your task is complete, call remove_agent(name: "worker-1") or output /exit on its own line.',
        '- This message belongs to workspace "acme"; keep replies scoped to that workspace.',
        '</system-reminder>',
        'Relay message from alice [acme / ev1]: hi bob'
      ].join('\n')
    )
  })

  test('full reminder, pre-registered, broker sender, channel target, no workspace', () => {
    const text = fullReminder({ ...dm, from: 'broker-x1', target: '#ops' }, 'w', { agentToken: 'tok', agentName: 'named' })
    const lines = text.split('\n')
    assert.equal(lines[2], 'You are pre-registered by the broker under your assigned worker name.')
    assert.equal(lines[3], 'Do not call mcp__relaycast__agent_register unless a send/reply fails with "Not registered".')
    assert.equal(lines[4], '- For direct replies to "Dashboard", use mcp__relaycast__message_dm_send or relaycast.message.dm.send (to: "broker-x1").')
    assert.match(lines[5]!, /\(channel: "ops"\)/)
    assert.ok(!text.includes('belongs to workspace'))
    assert.equal(lines.at(-1), 'Relay message from Dashboard in #ops [ev1]: hi bob')
  })

  test('registration name comes from RELAY_AGENT_NAME when set', () => {
    assert.match(fullReminder(dm, 'w', { agentName: 'envname' }), /agent_register \(name: "envname", type: "agent"\)/)
  })

  test('short hint with and without a token', () => {
    assert.equal(
      shortHint({ ...dm, from: 'human:alice' }, 'w', {}),
      '<system-reminder>Reply via Relaycast MCP: mcp__relaycast__message_dm_send/relaycast.message.dm.send (to: "alice") ' +
        'or mcp__relaycast__message_post/relaycast.message.post (channel: "general"). ' +
        'If unregistered, call mcp__relaycast__agent_register(name: "w", type: "agent") first.</system-reminder>\n' +
        'Relay message from alice [ev1]: hi bob'
    )
    assert.ok(!shortHint(dm, 'w', { agentToken: 't' }).includes('If unregistered'))
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
