/**
 * Durable writes to the state dir, the one place they are made:
 * - `writeAtomic` / `writeAtomicAsync`: temp file in the same dir, every byte written (short
 *   writes continued), fsync, rename, fsync of the dir. A failure removes the temp file and
 *   throws; the old file is untouched.
 * - `appendRecord`: one complete record appended to an open append-only file, or none: on a
 *   short write or an error the file is cut back to where the record began.
 * Errors of a full or failing disk (ENOSPC, EDQUOT, EIO, EROFS, EFBIG) come out as
 * `StorageUnavailableError`, which the API answers with 507 `storage_unavailable`.
 */
import { fdatasync, fdatasyncSync, ftruncateSync, writeSync } from 'node:fs'
import { open, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { TEMP_CREATE_FLAGS } from '../../protocol/safe-open.js'
import { shortWriteError, syncDir, tempPathFor, writeAllSync, writeFileAtomicSync } from '../../protocol/atomic-file.js'
import { StorageUnavailableError, TornAppendError } from '../../errors/index.js'
export { StorageUnavailableError, TornAppendError } from '../../errors/index.js'

export { syncDir }

const STORAGE_ERROR_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EFBIG', 'short_write'])

export function errnoCode(err: unknown): string {
  return typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'EIO'
}

/** Whether `err` says the disk cannot take writes (as opposed to a bug or a missing dir). */
export function isStorageError(err: unknown): boolean {
  return err instanceof StorageUnavailableError || STORAGE_ERROR_CODES.has(errnoCode(err))
}

/** `err` as a StorageUnavailableError when it is a storage error, else unchanged. */
export function asStorageError(path: string, err: unknown): unknown {
  if (err instanceof StorageUnavailableError || !isStorageError(err)) return err
  return new StorageUnavailableError(path, errnoCode(err), (err as Error).message)
}

/** The file operations appends use; tests swap in failing ones. */
export interface AppendIo {
  write(fd: number, buf: Buffer, offset: number, length: number): number
  truncate(fd: number, length: number): void
  datasync(fd: number): void
  /** `datasync` off the event loop; without it, `datasync` runs on the loop in a later microtask. */
  datasyncOffLoop?(fd: number): Promise<void>
}

export const NODE_APPEND_IO: AppendIo = {
  write: (fd, buf, offset, length) => writeSync(fd, buf, offset, length),
  truncate: (fd, length) => ftruncateSync(fd, length),
  datasync: (fd) => fdatasyncSync(fd),
  datasyncOffLoop: (fd) => new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())))
}

/**
 * Appends `buf` in full to `fd` (opened for append, `size` bytes long). On failure the file is cut
 * back to `size` and the error thrown. If the cut itself fails the error is a `TornAppendError`:
 * the caller must cut the file back to `validBytes` before appending again.
 */
export function appendRecord(io: AppendIo, fd: number, path: string, size: number, buf: Buffer): void {
  let off = 0
  try {
    while (off < buf.length) {
      const n = io.write(fd, buf, off, buf.length - off)
      if (n <= 0) throw new StorageUnavailableError(path, 'short_write', `wrote ${off} of ${buf.length} bytes`)
      off += n
    }
  } catch (err) {
    if (off > 0) {
      try {
        io.truncate(fd, size)
      } catch (cutErr) {
        throw new TornAppendError(path, size, errnoCode(cutErr), (cutErr as Error).message)
      }
    }
    throw asStorageError(path, err)
  }
}

/** Writes all of `buf` to `fd`, continuing short writes; throws (StorageUnavailableError for a full disk) otherwise. */
export function writeAll(fd: number, buf: Buffer, path: string): void {
  try {
    writeAllSync(fd, buf)
  } catch (err) {
    throw asStorageError(path, err)
  }
}

/** Writes the whole file atomically (protocol/atomic-file.ts); a full or failing disk comes out as StorageUnavailableError. */
export function writeAtomic(path: string, data: string | Buffer, mode = 0o600): void {
  try {
    writeFileAtomicSync(path, data, mode)
  } catch (err) {
    throw asStorageError(path, err)
  }
}

/** `writeAtomic` off the event loop. */
export async function writeAtomicAsync(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const buf = typeof data === 'string' ? Buffer.from(data) : data
  const tmp = tempPathFor(path)
  let renamed = false
  try {
    const fh = await open(tmp, TEMP_CREATE_FLAGS, mode)
    try {
      let off = 0
      while (off < buf.length) {
        const { bytesWritten } = await fh.write(buf, off, buf.length - off)
        if (bytesWritten <= 0) throw shortWriteError(off, buf.length)
        off += bytesWritten
      }
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
    renamed = true
  } catch (err) {
    if (!renamed) await unlink(tmp).catch(() => {})
    throw asStorageError(path, err)
  }
  try {
    const dir = await open(dirname(path), 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  }
}
