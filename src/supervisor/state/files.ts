/** State-dir file helpers; durable writes are made by durable.ts (temp, fsync, rename, fsync dir). */
import { readFileSync, unlinkSync } from 'node:fs'
import { syncDir, writeAtomic } from './durable.js'

export { syncDir }

export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): void {
  writeAtomic(path, data, mode)
}

export function writeJsonAtomic(path: string, value: unknown, mode = 0o600): void {
  writeAtomic(path, JSON.stringify(value, null, 2) + '\n', mode)
}

export function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return undefined
  }
}

export function removeFile(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // already gone
  }
}
