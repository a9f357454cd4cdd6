/**
 * Pool task (src/offload/pool.ts): the heavy part of compacting the delivery journal. Replays the
 * journal up to `upToBytes` (what was written when the compaction began), writes the deliveries
 * named in `keep` (their journaled state, in that order) and the modes to `tmp`, and fsyncs it.
 * The supervisor then appends the lines written meanwhile and renames (delivery-journal.ts).
 */
import { closeSync, fsyncSync, openSync, readFileSync } from 'node:fs'
import { compactedText, replayJournal, type CompactJournalTask } from '../src/supervisor/delivery/journal.js'
import type { DeliveryRecord } from '../src/supervisor/delivery/tracker.js'
import { TEMP_CREATE_FLAGS } from '../src/protocol/safe-open.js'
import { writeAll } from '../src/supervisor/state/durable.js'

export default function compactJournal(task: CompactJournalTask): { bytes: number; kept: number } {
  const text = readFileSync(task.path).subarray(0, task.upToBytes).toString('utf8')
  const { records } = replayJournal(text)
  const kept: DeliveryRecord[] = []
  for (const id of task.keep) {
    const r = records.get(id)
    if (r) kept.push(r)
  }
  const buf = Buffer.from(compactedText(kept, task.modes))
  const fd = openSync(task.tmp, TEMP_CREATE_FLAGS, 0o600)
  try {
    writeAll(fd, buf, task.tmp) // every byte, or an error (ENOSPC: the supervisor removes the temp file)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return { bytes: buf.length, kept: kept.length }
}
