/** Children start in their folder and say so: PWD is the spawn folder, whatever the broker's PWD was. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cliEnv } from '../../src/pty/cli-process.js'
import { profileFor } from '../../src/pty/profiles/index.js'
import { WorkerProcess } from './harness.js'

test('cliEnv sets PWD to the folder the CLI starts in, over an inherited one', () => {
  assert.equal(cliEnv({ PWD: '/somewhere/else', PATH: '/bin' }, '/work/agent').PWD, '/work/agent')
})

test('a PTY child started in its spawn folder sees PWD = that folder, not the parent PWD', async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'pwd-')))
  const w = new WorkerProcess(['sh', '-c', 'printf "pwd-is:%s:\\n" "$PWD"; sleep 5'], { cwd: dir, env: { PWD: '/not/the/spawn/folder' } })
  try {
    w.init()
    await w.waitFor(() => w.streamText().includes('pwd-is:'), 10_000, 'pwd line')
    assert.match(w.streamText(), new RegExp(`pwd-is:${dir}:`))
  } finally {
    await w.stop()
  }
})

test("cliEnv adds the CLI's start environment where the inherited one does not name the variable", () => {
  const start = { GEMINI_CLI_TRUST_WORKSPACE: 'true' }
  assert.equal(cliEnv({ PATH: '/bin' }, '/w', start).GEMINI_CLI_TRUST_WORKSPACE, 'true')
  assert.equal(cliEnv({ PATH: '/bin', GEMINI_CLI_TRUST_WORKSPACE: 'false' }, '/w', start).GEMINI_CLI_TRUST_WORKSPACE, 'false', 'the user decides')
})

test('gemini is started trusting its spawn folder (its trust dialog restarts it without flags and MCP server)', () => {
  assert.deepEqual({ ...profileFor('gemini').facts.startEnv }, { GEMINI_CLI_TRUST_WORKSPACE: 'true' })
  assert.deepEqual({ ...profileFor('claude').facts.startEnv }, {})
})
