/** Raw input to an agent's PTY: the interrupt key and the input stream's frames. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { interruptKeyFor } from '../../../src/api/ws/interrupt.js'
import { decodeInputFrame } from '../../../src/api/ws/input-stream.js'

test('interrupt key: Escape for agent TUIs, Ctrl-C otherwise', () => {
  assert.equal(interruptKeyFor('claude').key, 'escape')
  assert.equal(interruptKeyFor('/usr/local/bin/codex --yolo').key, 'escape')
  assert.equal(interruptKeyFor('gemini').bytes, '\x1b')
  assert.equal(interruptKeyFor('bash').key, 'ctrl_c')
  assert.equal(interruptKeyFor('aider').bytes, '\x03')
  assert.equal(interruptKeyFor(null).key, 'ctrl_c')
})

test('input frames: wrapper unwrapped, other JSON literal, invalid UTF-8 refused', () => {
  assert.deepEqual(decodeInputFrame(Buffer.from(' {"type":"pty_input","data":"x"} '), false), { data: 'x' })
  assert.deepEqual(decodeInputFrame(Buffer.from('{"type":"other"}'), false), { data: '{"type":"other"}' })
  assert.deepEqual(decodeInputFrame(Buffer.from('{"type":"pty_input","data":"x"}'), true), { data: '{"type":"pty_input","data":"x"}' }, 'binary frames are raw')
  assert.ok('error' in decodeInputFrame(Buffer.from([0xc3, 0x28]), true))
  assert.ok('error' in decodeInputFrame(Buffer.from('{"type":"pty_input","data":1}'), false))
})
