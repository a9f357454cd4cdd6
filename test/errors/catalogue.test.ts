import { test } from 'node:test'
import assert from 'node:assert/strict'
import { STATUS_CODES } from 'node:http'
import { readFileSync } from 'node:fs'
import { BrokerError, ERROR_CATALOGUE, isErrorCode, SpawnQueueFullError, StorageUnavailableError, UnknownAgentError } from '../../src/errors/index.js'
import { renderErrorsDoc } from '../../src/errors/doc.js'
import { FRAME_ERROR_CODES } from '../../src/protocol/errors.js'

const entries = Object.entries(ERROR_CATALOGUE)

test('every catalogue entry has a unique snake_case code, an error HTTP status, a message and a reason', () => {
  const seen = new Set<string>()
  for (const [code, e] of entries) {
    assert.match(code, /^[a-z][a-z0-9_]*$/, code)
    assert.ok(!seen.has(code.toLowerCase()), `${code} twice`)
    seen.add(code.toLowerCase())
    assert.ok(Number.isInteger(e.status) && e.status >= 400 && e.status <= 599, `${code}: status ${e.status}`)
    assert.ok(STATUS_CODES[e.status], `${code}: ${e.status} is not an HTTP status`)
    assert.ok(e.message.trim().length > 0, `${code}: no message`)
    assert.ok(e.when.trim().length > 0, `${code}: no 'when'`)
  }
})

test('child frame error codes do not collide with catalogue codes', () => {
  for (const code of FRAME_ERROR_CODES) assert.equal(isErrorCode(code), false, code)
})

test('a BrokerError takes its status from the catalogue and fills the template', () => {
  const e = new BrokerError('agent_not_found', { name: 'ghost' })
  assert.equal(e.status, 404)
  assert.equal(e.code, 'agent_not_found')
  assert.equal(e.message, "agent_not_found: no worker named 'ghost'")
  assert.equal(e.family, 'B')
  assert.ok(e instanceof Error)
  assert.equal(new BrokerError('payload_too_large', 'custom').message, 'custom')
})

test('the thin subclasses keep their names and carry details', () => {
  const u = new UnknownAgentError('x')
  assert.equal(u.name, 'UnknownAgentError')
  assert.deepEqual(u.details, { name: 'x' })
  const q = new SpawnQueueFullError(3, 4, 5)
  assert.equal(q.status, 503)
  assert.equal(q.retryAfterMs, 5000)
  assert.equal(q.retryAfterSecs, 5)
  const s = new StorageUnavailableError('/state/agents.json', 'ENOSPC', 'disk full')
  assert.equal(s.status, 507)
  assert.equal(s.family, 'A')
  assert.deepEqual(s.details, { cause: 'ENOSPC' })
})

test('inFamily keeps code, status and message and adds details', () => {
  const e = new UnknownAgentError('x').inFamily('A', { to: 'x' })
  assert.equal(e.family, 'A')
  assert.equal(e.status, 404)
  assert.deepEqual(e.details, { name: 'x', to: 'x' })
})

test('docs/errors.md is the catalogue as scripts/errors-doc.mjs writes it', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
  assert.equal(doc, renderErrorsDoc(), 'docs/errors.md is stale: run npx tsc -p tsconfig.json && node scripts/errors-doc.mjs')
  for (const [code] of entries) assert.ok(doc.includes(`| \`${code}\` |`), code)
})
