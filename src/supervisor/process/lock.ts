/**
 * One broker per state dir. The lock file is created exclusively (O_EXCL) and names its owner
 * by pid and process start time, so a lock left by a dead process — or by a recycled pid —
 * is recognised as stale and taken over.
 */
import { closeSync, openSync, readFileSync, writeSync, fsyncSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { removeFile } from '../state/files.js'
import { isSameProcessAlive, startTicksOf } from './proc.js'
import { LockHeldError } from '../../errors/index.js'
export { LockHeldError } from '../../errors/index.js'

interface LockRecord {
  pid: number
  start_ticks: number | null
  instance: string
  created_at: string
}

function ownerAlive(rec: Partial<LockRecord> | undefined): number | null {
  if (!rec || typeof rec.pid !== 'number') return null
  const ticks = rec.start_ticks === null || rec.start_ticks === undefined ? null : Number(rec.start_ticks)
  if (!isSameProcessAlive(rec.pid, ticks)) return null
  return rec.pid
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

function parseRecord(text: string | null): Partial<LockRecord> | undefined {
  if (text === null) return undefined
  try {
    return JSON.parse(text) as Partial<LockRecord>
  } catch {
    return undefined
  }
}

export class BrokerLock {
  readonly path: string
  readonly instance = randomUUID()
  #held = false

  constructor(path: string) {
    this.path = path
  }

  /** Takes the lock or throws LockHeldError. Returns true when a stale lock was recovered. */
  acquire(root: string): boolean {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.path, 'wx', 0o600)
        const rec: LockRecord = {
          pid: process.pid,
          start_ticks: startTicksOf(process.pid),
          instance: this.instance,
          created_at: new Date().toISOString()
        }
        writeSync(fd, JSON.stringify(rec) + '\n')
        fsyncSync(fd)
        closeSync(fd)
        this.#held = true
        return attempt > 0
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
        const seen = readText(this.path)
        const live = ownerAlive(parseRecord(seen))
        if (live !== null) throw new LockHeldError(root, live)
        // Stale: remove it, but only if nobody replaced it since we read it.
        if (readText(this.path) === seen) removeFile(this.path)
      }
    }
    throw new LockHeldError(root, -1)
  }

  release(): void {
    if (!this.#held) return
    this.#held = false
    if (parseRecord(readText(this.path))?.instance === this.instance) removeFile(this.path)
  }
}
