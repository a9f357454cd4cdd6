/** Channel list arithmetic of subscribe/unsubscribe. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mergeChannels, removeChannels } from '../../../src/supervisor/agents/channels.js'

test('channel merge and removal are case-insensitive, `#` kept distinct, order kept', () => {
  assert.deepEqual(mergeChannels(['general', 'engineering'], ['ops', '#ops', 'General', 'Ops']), ['general', 'engineering', 'ops', '#ops'])
  assert.deepEqual(removeChannels(['general', 'engineering', 'ops', '#ops'], ['OPS', 'nope']), ['general', 'engineering', '#ops'])
})
