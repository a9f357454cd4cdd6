/**
 * Where a child waits to be adopted: one Unix socket per child under `<state>/adopt/` (mode 0700;
 * the child creates its socket 0600), and the secret an adopter must present. A state dir too
 * deep for a socket path (108 bytes on Linux) gets a private directory under the temp dir,
 * named after it, instead.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Longest socket path used (sun_path is 108 bytes including the NUL; some room for safety). */
const SOCKET_PATH_MAX_BYTES = 100
/** Bytes of randomness in an adoption secret (hex-encoded in the journal). */
const ADOPT_SECRET_BYTES = 32

export function adoptionDir(root: string): string {
  const inState = join(root, 'adopt')
  const dir = Buffer.byteLength(join(inState, 'x'.repeat(21))) <= SOCKET_PATH_MAX_BYTES
    ? inState
    : join(tmpdir(), `relay-adopt-${createHash('sha256').update(root).digest('hex').slice(0, 16)}`)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  return dir
}

/** A fresh socket path and secret for one child. */
export function adoptionFor(root: string): { socket_path: string; secret: string } {
  return {
    socket_path: join(adoptionDir(root), `${randomBytes(8).toString('hex')}.sock`),
    secret: randomBytes(ADOPT_SECRET_BYTES).toString('hex')
  }
}
