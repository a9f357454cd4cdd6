/**
 * Per-agent environment (issue 11 item 3): a spawn's `env` reaches that agent and only it; the
 * broker's own secrets are not inherited unless named; names are validated; list endpoints do
 * not echo secret-looking values; the variables are recorded in the agent's state.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FIXTURES, TestBroker, waitUntil } from '../../e2e/harness.js'
import { REDACTED } from '../../../src/supervisor/agents/env.js'

const ENV_CLI = `node ${join(FIXTURES, 'env-cli.mjs')}`

describe('spawn env', () => {
  let broker: TestBroker
  const out = mkdtempSync(join(tmpdir(), 'relay-env-'))
  const envOf = async (name: string): Promise<Record<string, string>> => {
    const file = join(out, `${name}.json`)
    await waitUntil(() => existsSync(file), 10_000, `${name}'s environment`)
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>
  }

  before(async () => {
    broker = await new TestBroker({
      env: { ENV_OUT_DIR: out, RELAY_API_KEY: 'rk_live_brokersecret', RELAY_WORKSPACE_KEY: 'rk_live_brokersecret', SHARED_PLAIN: 'from-broker' }
    }).ready()
  })
  after(() => broker.stop())

  test('the variables reach that agent only; broker secrets only when named', async () => {
    const a = await broker.api('POST', '/api/spawn', {
      name: 'with-env',
      cli: ENV_CLI,
      env: { PROVIDER_BASE_URL: 'http://127.0.0.1:9/v1', ANTHROPIC_API_KEY: 'sk-ant-test-123', SHARED_PLAIN: 'overridden', RELAY_API_KEY: 'rk_named' }
    })
    assert.equal(a.status, 200, a.text)
    assert.equal((await broker.api('POST', '/api/spawn', { name: 'without-env', cli: ENV_CLI })).status, 200)
    const withEnv = await envOf('with-env')
    const without = await envOf('without-env')
    assert.equal(withEnv.PROVIDER_BASE_URL, 'http://127.0.0.1:9/v1')
    assert.equal(withEnv.ANTHROPIC_API_KEY, 'sk-ant-test-123')
    assert.equal(withEnv.SHARED_PLAIN, 'overridden', "the agent's value wins over the broker's")
    assert.equal(withEnv.RELAY_API_KEY, 'rk_named', 'a broker secret named by the spawn is passed')
    assert.equal(withEnv.RELAY_AGENT_NAME, 'with-env')
    assert.equal(without.PROVIDER_BASE_URL, undefined, 'another agent does not get them')
    assert.equal(without.ANTHROPIC_API_KEY, undefined)
    assert.equal(without.SHARED_PLAIN, 'from-broker')
    for (const secret of ['RELAY_API_KEY', 'RELAY_WORKSPACE_KEY', 'RELAY_BROKER_API_KEY']) {
      assert.equal(without[secret], undefined, `${secret} is not inherited`)
    }
    assert.equal(withEnv.RELAY_WORKSPACE_KEY, undefined)
    assert.equal(withEnv.RELAY_BROKER_API_KEY, undefined)
  })

  test('list endpoints show names and plain values, never secret-looking values', async () => {
    const list = await broker.api('GET', '/api/spawned')
    const agent = list.body.agents.find((x: { name: string }) => x.name === 'with-env')
    assert.deepEqual(agent.env, { PROVIDER_BASE_URL: 'http://127.0.0.1:9/v1', ANTHROPIC_API_KEY: REDACTED, SHARED_PLAIN: 'overridden', RELAY_API_KEY: REDACTED })
    const status = await broker.api('GET', '/api/status')
    assert.ok(!status.text.includes('sk-ant-test-123') && !list.text.includes('rk_named'))
    assert.equal(list.body.agents.find((x: { name: string }) => x.name === 'without-env').env, undefined)
  })

  test("recorded in the agent's state record", async () => {
    await broker.api('GET', '/health')
    const state = JSON.parse(readFileSync(join(broker.stateDir, 'state.json'), 'utf8'))
    assert.equal(state.agents['with-env'].request.env.PROVIDER_BASE_URL, 'http://127.0.0.1:9/v1')
    assert.equal(state.agents['without-env'].request.env, undefined)
  })

  test('names are validated: 400 invalid_env', async () => {
    for (const env of [{ '1BAD': 'x' }, { 'A-B': 'x' }, { RELAY_AGENT_TOKEN: 'x' }, { RELAY_BROKER_URL: 'x' }, { OK: 3 }, { NUL: 'a\u0000b' }]) {
      const res = await broker.api('POST', '/api/spawn', { name: 'bad-env', cli: ENV_CLI, env })
      assert.equal(res.status, 400, JSON.stringify(env))
      assert.equal(res.body.code, 'invalid_env', JSON.stringify(env))
    }
    assert.equal((await broker.api('POST', '/api/spawn', { name: 'bad-env', cli: ENV_CLI, env: ['A=1'] })).status, 400)
  })
})
