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

// ── PTY child ─────────────────────────────────────────────────────────────
export const PTY_DEFAULT_ROWS = 24
export const PTY_DEFAULT_COLS = 80
/** Lines of scrollback kept by the child's screen model. */
export const SCREEN_SCROLLBACK_LINES = 2_000
/** Output quiet time after the first output that counts as "ready" for a generic CLI. */
export const READY_SETTLE_MS = 600
/** A generic CLI that prints nothing at all for this long is taken as waiting for input. */
export const READY_SILENT_START_MS = 1_500
/** Last-resort readiness: `worker_ready` with reason `timeout` after this long. */
export const STARTUP_READY_TIMEOUT_MS = 25_000
/** How often readiness, verification and idle are re-evaluated. */
export const PTY_TICK_MS = 50
/** Pause between typing a message and pressing Enter. */
export const INJECT_ENTER_DELAY_MS = 50
/** Pause between two injections into the same PTY. */
export const INJECT_GAP_MS = 10
/** How long the relay line may take to appear on screen before the delivery fails. */
export const VERIFY_WINDOW_MS = 5_000
/** Longest wait for node-pty to hand the injected bytes to the kernel. */
export const PTY_WRITE_DRAIN_TIMEOUT_MS = 2_000
/** Messages longer than this are verified by their head and tail rather than in full. */
export const VERIFY_FULL_MATCH_MAX_CHARS = 400
export const VERIFY_HEAD_CHARS = 160
export const VERIFY_TAIL_CHARS = 80
/** Default idle threshold (`agent_idle` after this much PTY silence); 0 disables. */
export const IDLE_THRESHOLD_DEFAULT_SECS = 30
/** `worker_stream` batching: flush when this many bytes are buffered… */
export const STREAM_BATCH_MAX_BYTES = 32_768
/** …or when this long has passed since the first unflushed byte. */
export const STREAM_FLUSH_MS = 50
/** Tail of output reported in `agent_exit.last_output`. */
export const LAST_OUTPUT_CHARS = 2_000
/** Deliveries a child holds before it refuses more (`delivery_failed`, `queue_full`). */
export const PTY_QUEUE_MAX = 1_024
/** Delivery ids a child remembers to refuse duplicates. */
export const PTY_SEEN_DELIVERY_IDS_MAX = 8_192
/** Steer mode: pause after the ESC ESC interrupt before typing. */
export const STEER_ESC_DELAY_MS = 120
/** Idle is re-checked this often. */
export const IDLE_CHECK_MS = 1_000
/** After SIGKILL to the CLI's process group: longest wait for node-pty to report its exit. */
export const CLI_EXIT_WAIT_AFTER_KILL_MS = 2_000
/** Readiness marker scan: stripped startup output kept (trimmed to the KEEP size when over MAX). */
export const STARTUP_OUTPUT_MAX_CHARS = 12_000
export const STARTUP_OUTPUT_KEEP_CHARS = 8_000
/** Longest wait for the frame channel (stdout) to drain before the child exits. */
export const PTY_EXIT_FLUSH_TIMEOUT_MS = 1_000
/** When the verification window ends while output is still being parsed, wait at most this much longer for the parse. */
export const VERIFY_PARSE_GRACE_MS = 1_000
/** Wait mode: output must have been quiet this long (and the profile not busy) before typing. */
export const INJECT_IDLE_QUIET_MS = 60

// ── per-CLI profiles and auto-answers (issue 7, docs/clis.md) ───────────────
/** A known CLI's ready screen counts once output has been quiet this long. */
export const PROFILE_READY_QUIET_MS = 300
/** Auto-answer: the dialog must have been on screen this long before keys are typed. */
export const AUTO_ANSWER_DELAY_MS = 100
/** Auto-answer: pause between an arrow key and the Enter that confirms it. */
export const AUTO_ANSWER_KEY_GAP_MS = 100
/** Claude's bypass-permissions confirm: longer pre-delay, menu gap, cooldown, sends (worker.md §6). */
export const BYPASS_CONFIRM_DELAY_MS = 500
export const BYPASS_CONFIRM_MENU_GAP_MS = 200
export const BYPASS_CONFIRM_COOLDOWN_MS = 2_000
export const BYPASS_CONFIRM_MAX_SENDS = 5
/** Repeating dialogs (Gemini Action Required, opencode/droid EXECUTE): minimum time between answers. */
export const DIALOG_ANSWER_COOLDOWN_MS = 2_000
/** Gemini's untrusted-folder banner is answered after this. */
export const GEMINI_UNTRUSTED_BANNER_DELAY_MS = 300
/** MCP approval whose option line never shows: answered anyway after the header stayed this long. */
export const MCP_APPROVAL_PARTIAL_MS = 5_000

/** Parsed output triggers an early tick (verification, readiness) at most this often. */
export const PARSED_TICK_MIN_INTERVAL_MS = 10

/** Bytes of outgoing frames an orphaned child buffers; beyond it output (`worker_stream`) is dropped first. */
export const ORPHAN_BUFFER_MAX_BYTES = 4 * 1024 * 1024
/** Longest wait for a child's `worker_adopted` after `adopt_worker`. */
export const ADOPT_HANDSHAKE_TIMEOUT_MS = 3_000
/** Environment variable naming one child's process tree (`RELAY_WORKER_MARK=<uuid>`); the child reads it to find itself in the PID journal. */
export const WORKER_MARK_ENV = 'RELAY_WORKER_MARK'
