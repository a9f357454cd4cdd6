/**
 * `broker mcp-args` and spawn wire `broker mcp` into each CLI the same way:
 * claude `--mcp-config` JSON, codex `--config` TOML pairs, gemini/opencode/cursor config files
 * merged into the cwd; identity only as references to the agent's environment, never the token.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BROKER_BIN, EventLog, FIXTURES, readJsonLines, TestBroker, waitUntil } from '../e2e/harness.js'

function mcpArgs(...argv: string[]): any {
  return JSON.parse(execFileSync(process.execPath, [BROKER_BIN, 'mcp-args', ...argv], { encoding: 'utf8' }))
}

/** An executable named `name` that logs its argv and cwd, then runs the echo fixture. */
function wrapper(name: string, argvLog: string): string {
  const dir = mkdtempSync(join(tmpdir(), `wrap-${name}-`))
  const bin = join(dir, name)
  const logger = `require('fs').appendFileSync(${JSON.stringify(argvLog)}, JSON.stringify({argv: process.argv.slice(1), cwd: process.cwd()}) + '\\n')`
  writeFileSync(bin, `#!/bin/sh\n"${process.execPath}" -e "${logger.replaceAll('"', '\\"')}" -- "$@"\nexec "${process.execPath}" "${join(FIXTURES, 'echo-cli.mjs')}"\n`)
  chmodSync(bin, 0o755)
  return bin
}

describe('broker mcp-args', () => {
  test('claude: one --mcp-config JSON naming `node bin/broker mcp` and only references to the identity', () => {
    const out = mcpArgs('claude', '--agent-name', 'alice')
    assert.equal(out.profile, 'claude')
    assert.equal(out.args[0], '--mcp-config')
    const config = JSON.parse(out.args[1])
    assert.deepEqual(config.mcpServers.relaycast, {
      type: 'stdio',
      command: process.execPath,
      args: [BROKER_BIN, 'mcp'],
      env: { RELAY_BROKER_URL: '${RELAY_BROKER_URL}', RELAY_AGENT_NAME: '${RELAY_AGENT_NAME}', RELAY_AGENT_TOKEN: '${RELAY_AGENT_TOKEN}' }
    })
    assert.deepEqual(mcpArgs('claude', '--', '--mcp-config', 'mine.json').args, [], 'an explicit --mcp-config is kept as is')
  })

  test('codex: TOML --config pairs, update check off, identity passed through by name', () => {
    const out = mcpArgs('codex')
    assert.deepEqual(out.args, [
      '--config', 'check_for_update_on_startup=false',
      '--config', `mcp_servers.relaycast.command=${JSON.stringify(process.execPath)}`,
      '--config', `mcp_servers.relaycast.args=[${JSON.stringify(BROKER_BIN)},"mcp"]`,
      '--config', 'mcp_servers.relaycast.env_vars=["RELAY_BROKER_URL","RELAY_AGENT_NAME","RELAY_AGENT_TOKEN"]'
    ])
    assert.deepEqual(mcpArgs('codex', '--', '-c', 'mcp_servers.relaycast.command="x"').args, ['--config', 'check_for_update_on_startup=false'])
  })

  test('--write merges opencode.json, .gemini/settings.json and .cursor/mcp.json, keeping what was there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-write-'))
    writeFileSync(join(dir, 'opencode.json'), JSON.stringify({ theme: 'dark', mcp: { other: { type: 'local', command: ['x'] } } }))
    mcpArgs('opencode', '--write', '--cwd', dir)
    const oc = JSON.parse(readFileSync(join(dir, 'opencode.json'), 'utf8'))
    assert.equal(oc.theme, 'dark')
    assert.deepEqual(oc.mcp.other, { type: 'local', command: ['x'] })
    assert.deepEqual(oc.mcp.relaycast.command, [process.execPath, BROKER_BIN, 'mcp'])
    assert.equal(oc.mcp.relaycast.environment.RELAY_AGENT_TOKEN, '{env:RELAY_AGENT_TOKEN}')
    mcpArgs('gemini', '--write', '--cwd', dir)
    const gm = JSON.parse(readFileSync(join(dir, '.gemini/settings.json'), 'utf8'))
    assert.equal(gm.mcpServers.relaycast.env.RELAY_AGENT_TOKEN, '$RELAY_AGENT_TOKEN')
    mcpArgs('cursor-agent', '--write', '--cwd', dir)
    const cu = JSON.parse(readFileSync(join(dir, '.cursor/mcp.json'), 'utf8'))
    assert.equal(cu.mcpServers.relaycast.env.RELAY_AGENT_TOKEN, '${env:RELAY_AGENT_TOKEN}')
    for (const f of ['opencode.json', '.gemini/settings.json', '.cursor/mcp.json']) assert.ok(!readFileSync(join(dir, f), 'utf8').includes('at_'), `${f}: no token`)
  })

  test('droid gets the command to run; aider has nothing to wire; a broken config file is not touched', () => {
    const droid = mcpArgs('droid')
    assert.deepEqual([droid.args, droid.files], [[], []])
    assert.match(droid.note, /^droid keeps MCP servers in its own config: run once `droid mcp add relaycast -- /)
    const aider = spawnSync(process.execPath, [BROKER_BIN, 'mcp-args', 'aider'], { encoding: 'utf8' })
    assert.equal(aider.status, 2)
    assert.match(aider.stderr, /has no MCP support/)
    const dir = mkdtempSync(join(tmpdir(), 'mcp-broken-'))
    writeFileSync(join(dir, 'opencode.json'), '{ not json')
    const broken = spawnSync(process.execPath, [BROKER_BIN, 'mcp-args', 'opencode', '--write', '--cwd', dir], { encoding: 'utf8' })
    assert.equal(broken.status, 1)
    assert.match(broken.stderr, /opencode\.json is not valid JSON/)
    assert.equal(readFileSync(join(dir, 'opencode.json'), 'utf8'), '{ not json')
  })
})

describe('spawn wires the same way', { concurrency: 1 }, () => {
  let broker: TestBroker
  let events: EventLog
  let fixtureLog: string

  before(async () => {
    fixtureLog = join(mkdtempSync(join(tmpdir(), 'wire-spawn-')), 'fixture.log')
    broker = await new TestBroker({ env: { FIXTURE_LOG: fixtureLog } }).ready()
    events = broker.events()
    await events.opened
  })

  after(async () => {
    events.close()
    await broker.stop()
  })

  test('claude: bypass flag and the --mcp-config mcp-args prints; skip_relay_prompt keeps the flag only', async () => {
    const argvLog = join(mkdtempSync(join(tmpdir(), 'argv-')), 'argv.log')
    const bin = wrapper('claude', argvLog)
    await broker.spawnAgent('w-claude', bin, { args: ['--verbose'] })
    await broker.spawnAgent('w-claude-skip', bin, { skip_relay_prompt: true })
    await waitUntil(() => readJsonLines(argvLog).length === 2, 10_000, 'both started')
    const [first, second] = readJsonLines(argvLog).sort((x, y) => x.argv.length - y.argv.length).reverse()
    const expected = mcpArgs('claude').args
    assert.deepEqual(first.argv, ['--dangerously-skip-permissions', '--verbose', ...expected])
    assert.deepEqual(second.argv, ['--dangerously-skip-permissions'])
    await broker.api('DELETE', '/api/spawned/w-claude')
    await broker.api('DELETE', '/api/spawned/w-claude-skip')
  })

  test('cursor-agent: --force --approve-mcps, .cursor/mcp.json in the cwd, the short hint injected', async () => {
    const argvLog = join(mkdtempSync(join(tmpdir(), 'argv-')), 'argv.log')
    const cwd = mkdtempSync(join(tmpdir(), 'cursor-cwd-'))
    await broker.spawnAgent('w-cursor', wrapper('cursor-agent', argvLog), { cwd })
    await events.waitKind('worker_ready', 'w-cursor')
    assert.deepEqual(readJsonLines(argvLog)[0].argv, ['--force', '--approve-mcps'])
    assert.ok(existsSync(join(cwd, '.cursor/mcp.json')))
    const sent = await broker.api('POST', '/api/send', { to: 'w-cursor', text: 'hi cursor', from: 'boss' })
    await events.waitFor((e) => e.kind === 'delivery_verified' && e.event_id === sent.body.event_id, 10_000, 'verified')
    const lines = readJsonLines(fixtureLog).filter((l) => l.agent === 'w-cursor').map((l) => String(l.line))
    assert.ok(lines.some((l) => l.includes('<system-reminder>Reply via Relaycast MCP') && l.includes('(to: "boss")')), lines.join('\n'))
    assert.ok(lines.some((l) => l.includes(`Relay message from boss [local / ${sent.body.event_id}]: hi cursor`)))
    await broker.api('DELETE', '/api/spawned/w-cursor')
  })

  test('skip_relay_prompt: no config file, and the relay line alone is typed', async () => {
    const argvLog = join(mkdtempSync(join(tmpdir(), 'argv-')), 'argv.log')
    const cwd = mkdtempSync(join(tmpdir(), 'cursor-skip-'))
    await broker.spawnAgent('w-cursor-skip', wrapper('cursor-agent', argvLog), { cwd, skip_relay_prompt: true })
    await events.waitKind('worker_ready', 'w-cursor-skip')
    assert.ok(!existsSync(join(cwd, '.cursor/mcp.json')))
    const sent = await broker.api('POST', '/api/send', { to: 'w-cursor-skip', text: 'plain please', from: 'boss' })
    await events.waitFor((e) => e.kind === 'delivery_verified' && e.event_id === sent.body.event_id, 10_000, 'verified')
    const lines = readJsonLines(fixtureLog).filter((l) => l.agent === 'w-cursor-skip').map((l) => String(l.line))
    assert.deepEqual(lines, [`Relay message from boss [local / ${sent.body.event_id}]: plain please`])
    await broker.api('DELETE', '/api/spawned/w-cursor-skip')
  })

  test('a config file that is not JSON fails the spawn with a 400, untouched', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'oc-broken-'))
    writeFileSync(join(cwd, 'opencode.json'), '{ broken')
    const res = await broker.api('POST', '/api/spawn', { name: 'w-oc', cli: wrapper('opencode', join(cwd, 'argv.log')), cwd })
    assert.equal(res.status, 400)
    assert.equal(res.body.code, 'mcp_wiring_failed')
    assert.equal(readFileSync(join(cwd, 'opencode.json'), 'utf8'), '{ broken')
  })
})
