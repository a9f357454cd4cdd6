/**
 * Replacing a whole file so a reader sees the old content or the new, never a mix: a fresh temp
 * file in the same dir (created exclusively, never through a symlink), every byte written (short
 * writes continued), fsync, rename over the file, fsync of the dir. On failure the temp file is
 * removed and the error thrown; the old file is untouched. Used by the supervisor (state files,
 * through state/durable.ts), the PTY child (its facts file) and `broker mcp-args` (CLI configs).
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { TEMP_CREATE_FLAGS } from './safe-open.js'

/** A temp file name next to `path`, unique per call. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
}

/** An error for a write that took fewer bytes than asked and then none (errno-style `code`: `short_write`). */
export function shortWriteError(written: number, total: number): Error {
  return Object.assign(new Error(`wrote ${written} of ${total} bytes`), { code: 'short_write' })
}

/** Writes all of `buf` to `fd`, continuing short writes. */
export function writeAllSync(fd: number, buf: Buffer): void {
  let off = 0
  while (off < buf.length) {
    const n = writeSync(fd, buf, off, buf.length - off)
    if (n <= 0) throw shortWriteError(off, buf.length)
    off += n
  }
}

export function writeFileAtomicSync(path: string, data: string | Buffer, mode = 0o600): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data
  const tmp = tempPathFor(path)
  let fd: number | undefined
  try {
    fd = openSync(tmp, TEMP_CREATE_FLAGS, mode)
    writeAllSync(fd, buf)
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    renameSync(tmp, path)
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd)
      } catch {
        // closing a file we failed to write
      }
    }
    try {
      unlinkSync(tmp)
    } catch {
      // never created, or renamed already
    }
    throw err
  }
  syncDir(dirname(path))
}

export function syncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
