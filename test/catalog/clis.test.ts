/** The CLI catalogue (src/catalog/clis.ts): names, bypass flags, MCP wiring kinds, headless providers. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { CLI_CATALOG, cliFacts, cliNameOf, HEADLESS_PROVIDER_NAMES } from '../../src/catalog/clis.js'
import { headlessProvider } from '../../src/headless/providers/index.js'
import { ALL_PROFILES, profileFor } from '../../src/pty/profiles/index.js'

describe('CLI catalogue', () => {
  test('a command is known by the lowercased basename of its first word', () => {
    assert.equal(cliNameOf('claude'), 'claude')
    assert.equal(cliNameOf('/usr/local/bin/Codex --foo'), 'codex')
    assert.equal(cliNameOf('claude:opus'), 'claude')
    assert.equal(cliNameOf('cursor-agent'), 'cursor')
    assert.equal(cliNameOf('agent'), 'cursor')
    assert.equal(cliNameOf('bash'), 'generic')
    assert.equal(cliNameOf(''), 'generic')
  })

  test('bypass flags are added unless the arguments already choose a permission mode', () => {
    assert.deepEqual(cliFacts('claude').bypassArgs([]), ['--dangerously-skip-permissions'])
    assert.deepEqual(cliFacts('claude').bypassArgs(['--dangerously-skip-permissions']), [])
    assert.deepEqual(cliFacts('codex').bypassArgs(['--full-auto']), [])
    assert.deepEqual(cliFacts('codex').bypassArgs(['-m', 'x']), ['--dangerously-bypass-approvals-and-sandbox'])
    assert.deepEqual(cliFacts('gemini').bypassArgs(['-y']), [])
    assert.deepEqual(cliFacts('gemini').bypassArgs(['--yolox']), ['--yolo'])
    assert.deepEqual(cliFacts('cursor').bypassArgs(['--force']), ['--approve-mcps'])
    assert.deepEqual(cliFacts('opencode').bypassArgs([]), [])
    assert.deepEqual(cliFacts('bash').bypassArgs([]), [])
  })

  test('MCP wiring kinds', () => {
    assert.equal(cliFacts('droid').mcp, 'droid')
    assert.equal(cliFacts('aider').mcp, null)
    assert.equal(cliFacts('cat').mcp, null)
  })

  test('every profile takes its facts from the catalogue entry of its name', () => {
    for (const p of ALL_PROFILES) assert.equal(p.facts, CLI_CATALOG[p.facts.name])
    for (const name of Object.keys(CLI_CATALOG)) assert.equal(profileFor(name === 'generic' ? 'cat' : name).facts.name, name)
  })

  test('every headless provider named in the catalogue exists', () => {
    assert.deepEqual([...HEADLESS_PROVIDER_NAMES].sort(), ['claude', 'opencode'])
    for (const name of HEADLESS_PROVIDER_NAMES) assert.equal(headlessProvider(name)?.name, name)
  })
})
