/**
 * Opening files inside the state dir without following symlinks (docs/security.md): a symlink
 * planted at `logs/<agent>.log` or `facts/<agent>.log` makes the open fail (ELOOP) instead of
 * appending to whatever it points at. Used by the supervisor and the children alike.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'

const { O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_TRUNC, O_WRONLY } = constants

/** open(2) flags: append-only, created when missing, never through a symlink. */
export const APPEND_NOFOLLOW_FLAGS = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW

/** open(2) flags for a fresh temp file: it must not exist yet, and is never reached through a symlink. */
export const TEMP_CREATE_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW

/** Append-only, created with `mode` when missing; never through a symlink. */
export function openAppendNoFollow(path: string, mode = 0o600): number {
  return openSync(path, APPEND_NOFOLLOW_FLAGS, mode)
}

/** Truncated or created with `mode`; never through a symlink. */
export function openWriteNoFollow(path: string, mode = 0o600): number {
  return openSync(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode)
}

/** The whole file as UTF-8; never through a symlink (ELOOP). */
export function readFileNoFollow(path: string): string {
  const fd = openSync(path, O_RDONLY | O_NOFOLLOW)
  try {
    const size = fstatSync(fd).size
    const buf = Buffer.alloc(size)
    let off = 0
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off)
      if (n === 0) break
      off += n
    }
    return buf.subarray(0, off).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

