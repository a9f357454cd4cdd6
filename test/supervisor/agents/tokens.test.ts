/** Agent API tokens. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AgentTokens } from '../../../src/supervisor/agents/tokens.js'

test('agent tokens: random per agent, kept by name, never the admin key, unique, revocable, restorable', () => {
  const tokens = new AgentTokens('br_admin')
  const a = tokens.issue('a')
  assert.match(a, /^at_[0-9a-f]{32}$/)
  assert.equal(tokens.issue('a'), a, 'a restart keeps the token')
  const b = tokens.issue('b')
  assert.notEqual(a, b)
  assert.equal(tokens.agentFor(a), 'a')
  assert.equal(tokens.agentFor(` ${b} `), 'b')
  assert.equal(tokens.agentFor('br_admin'), null)
  assert.throws(() => tokens.issue('c', 'br_admin'), /API key/)
  assert.throws(() => tokens.issue('c', a), /another agent/)
  tokens.revoke('a')
  assert.equal(tokens.agentFor(a), null)
  const restored = new AgentTokens('br_admin')
  assert.equal(restored.restore({ agents: { b: { agent_token: b }, bad: { agent_token: 7 }, evil: { agent_token: 'br_admin' } } }), 1)
  assert.equal(restored.agentFor(b), 'b')
  assert.equal(restored.issue('b'), b)
  assert.equal(restored.restore(undefined), 0)
})
