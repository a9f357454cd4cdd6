/** How a child ends (src/child/exit.ts): the exit status it reports for its CLI's. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { EXIT_SPAWN_FAILED, exitStatusFor } from '../../src/child/exit.js'

describe('exitStatusFor', () => {
  test('a CLI\'s own code is passed on; a signal becomes 128 + its number; no code at all is a failure', () => {
    assert.equal(exitStatusFor(0, null), 0)
    assert.equal(exitStatusFor(3, null), 3)
    assert.equal(exitStatusFor(null, 9), 137)
    assert.equal(exitStatusFor(null, null), 1)
  })

  test('a CLI that cannot be started exits as a shell would', () => {
    assert.equal(EXIT_SPAWN_FAILED, 127)
  })
})
