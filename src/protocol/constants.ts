/**
 * Constants both sides of the frame protocol must agree on (wire versions, frame sizes, the
 * adoption handshake, the marker every child's tree carries). Every other timer, retry and limit
 * lives with the module that uses it, named with its unit.
 */

/** Envelope version carried in every frame (`v`). */
export const PROTOCOL_VERSION = 1
/** `protocol_version` reported by `GET /api/session` (the SDK 6.3.6 value). */
export const API_PROTOCOL_VERSION = 2
/** Version string reported in `/health` and `/api/session`. */
export const BROKER_VERSION = '0.1.0'

// ── frames ────────────────────────────────────────────────────────────────
/** Size of the big-endian length prefix in front of every frame body. */
export const FRAME_HEADER_BYTES = 4
/** Largest msgpack body accepted on the frame channel, either direction. */
export const FRAME_MAX_BYTES = 8 * 1024 * 1024

// ── adoption ─────────────────────────────────────────────────────────────
/** Longest wait for a child's `worker_adopted` after `adopt_worker`. */
export const ADOPT_HANDSHAKE_TIMEOUT_MS = 3_000
/** Environment variable naming one child's process tree (`RELAY_WORKER_MARK=<uuid>`); the child reads it to find itself in the PID journal. */
export const WORKER_MARK_ENV = 'RELAY_WORKER_MARK'
