/**
 * Every timer, retry and limit of relay-broker, in one place, with its unit in its name.
 *
 * This module lives in `src/protocol/` because it is the one leaf every process may import:
 * the supervisor, the `broker pty` child and the API all read their limits from here.
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

// ── supervisor ────────────────────────────────────────────────────────────
/** Maintenance tick: request time-outs, exit sweeps, lease checks. */
export const MAINTENANCE_TICK_MS = 500
/** Owner lease of an ephemeral broker; renewed by `POST /api/session/renew`. */
export const OWNER_LEASE_MS = 120_000
/** How often the owner lease is checked. */
export const OWNER_LEASE_CHECK_MS = 10_000
/** Time a child gets after `shutdown_worker` before its process group is signalled. */
export const WORKER_SHUTDOWN_GRACE_MS = 2_000
/** Time between SIGTERM and SIGKILL when a child's group is terminated. */
export const WORKER_KILL_AFTER_TERM_MS = 1_000
/** Deadline for a whole graceful broker shutdown. */
export const BROKER_SHUTDOWN_DEADLINE_MS = 5_000
/** Deadline of a request/response round trip to a child (`snapshot_pty`). */
export const WORKER_REQUEST_TIMEOUT_MS = 5_000
/** Bytes queued for one child's stdin beyond which it is reported as not draining. */
export const WORKER_STDIN_HIGH_WATER_BYTES = 4 * 1024 * 1024

// ── API ───────────────────────────────────────────────────────────────────
/** Largest HTTP request body; larger bodies get 413. */
export const API_BODY_MAX_BYTES = 2 * 1024 * 1024
/** Events kept for `/ws?sinceSeq=` replay. */
export const EVENT_REPLAY_CAPACITY = 1000
/** Interval of server pings on `/ws`. */
export const WS_PING_INTERVAL_MS = 30_000
/** Bytes buffered for one `/ws` client beyond which ephemeral events are dropped for it. */
export const WS_CLIENT_HIGH_WATER_BYTES = 8 * 1024 * 1024

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
/** Default time a delivery may wait (agent not ready, busy, down) before it is dead-lettered untyped. */
export const DELIVERY_INJECT_TIMEOUT_MS = 120_000
/** Deliveries handed to one child at a time; the rest wait, in priority order, in the supervisor. */
export const DELIVERY_INFLIGHT_PER_AGENT = 2
/** Undelivered messages one agent's mailbox holds; beyond it the lowest droppable priority is evicted. */
export const MAILBOX_MAX = 256
/** Priorities below this number (P0, P1) are never evicted from a mailbox. */
export const MAILBOX_DROPPABLE_FROM_PRIORITY = 2
/** Dead letters kept (the oldest is trimmed, and logged, beyond it). */
export const DEAD_LETTER_MAX = 500
/** Idempotency keys of `/api/send` (runtime.md §3.5 dedup cache). */
export const DEDUP_TTL_MS = 300_000
export const DEDUP_MAX_ENTRIES = 8_192
/** The delivery journal is compacted when it grows past this. */
export const JOURNAL_COMPACT_BYTES = 8 * 1024 * 1024

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
/** `broker mcp`: deadline of one call to the broker's agent API. */
export const MCP_HTTP_TIMEOUT_MS = 10_000

// ── SDK drop-in API (issue 4) ───────────────────────────────────────────────
/** Sends and inbounds kept for `/api/threads`, `/api/history/stats` and agent inboxes. */
export const MESSAGE_HISTORY_MAX = 1_000
/** Messages kept per agent inbox (`GET /api/agent/inbox`). */
export const AGENT_INBOX_MAX = 1_000
/** Default and largest page of `GET /api/agent/inbox`. */
export const AGENT_INBOX_PAGE_DEFAULT = 100
export const AGENT_INBOX_PAGE_MAX = 1_000
/** `lastMessage` previews in `/api/threads` are cut to this many UTF-8 bytes (then `...`). */
export const THREAD_PREVIEW_MAX_BYTES = 200
/** Longest wait for a child's stdin backlog to fall under the high-water mark before an input write is refused. */
export const INPUT_WRITE_DRAIN_TIMEOUT_MS = 5_000
/** Poll interval while an input write waits for a child's stdin to drain. */
export const INPUT_WRITE_DRAIN_POLL_MS = 10
/** `/api/input/{name}/stream`: one text/binary frame at most this big. */
export const INPUT_STREAM_MAX_FRAME_BYTES = 1024 * 1024

// ── supervision and isolation (issue 6) ─────────────────────────────────────
/** Restart policy defaults for a spawn that names none (runtime.md §4.2: 5 restarts, 2 s, 3 consecutive). */
export const RESTART_DEFAULT_MAX_RESTARTS = 5
export const RESTART_DEFAULT_COOLDOWN_MS = 2_000
export const RESTART_DEFAULT_MAX_CONSECUTIVE_FAILURES = 3
/** Backoff cap: `cooldown_ms` doubles per consecutive crash up to this. */
export const RESTART_BACKOFF_MAX_MS = 30_000
/** A child ready and up this long before it crashes resets the consecutive-failure count. */
export const RESTART_HEALTHY_UPTIME_MS = 30_000
/** `max_restarts` counts restarts within this sliding window (older ones are forgiven). */
export const RESTART_WINDOW_MS = 600_000
/** Crash records kept in `crash-insights.json`; `recent` in the API. */
export const CRASH_INSIGHTS_MAX_RECORDS = 500
export const CRASH_INSIGHTS_RECENT = 20
/** `health_score` = 100 − this × crashes within the window, among the last HEALTH_SAMPLE records. */
export const CRASH_HEALTH_PENALTY = 10
export const CRASH_HEALTH_WINDOW_MS = 3_600_000
export const CRASH_HEALTH_SAMPLE = 50
/** Startup reaping of a previous run's processes: SIGTERM, then SIGKILL after this. */
export const ORPHAN_KILL_AFTER_TERM_MS = 500
/** Longest wait for reaped orphans to disappear after SIGKILL. */
export const ORPHAN_GONE_WAIT_MS = 2_000
/** Event-loop delay histogram: resolution, and the window rotated (reported: current + previous). */
export const LOOP_DELAY_RESOLUTION_MS = 10
export const LOOP_DELAY_WINDOW_MS = 30_000
/** Env var that shortens the owner lease (tests); read once, in `cli/init.ts`. */
export const OWNER_LEASE_ENV = 'RELAY_OWNER_LEASE_MS'
/** A delivery handed to workers this many times without being typed is dead-lettered. */
export const DELIVERY_MAX_ATTEMPTS = 10
/** Parsed output triggers an early tick (verification, readiness) at most this often. */
export const PARSED_TICK_MIN_INTERVAL_MS = 10
/** After a child exits: longest time spent killing and waiting out what is left of its process tree. */
export const WORKER_TREE_SWEEP_MAX_MS = 1_000

// ── adoption (children outliving their supervisor) ─────────────────────────
/** How long a child of a durable broker (--persist / --state-dir) waits to be adopted after losing its supervisor. */
export const ADOPT_WINDOW_DURABLE_MS = 600_000
/** The same for an ephemeral broker (nobody can restart on its fresh temp dir): short, then the child exits. */
export const ADOPT_WINDOW_EPHEMERAL_MS = 10_000
/** Env var overriding both windows (tests); read by the supervisor when it starts a child. */
export const ADOPT_WINDOW_ENV = 'RELAY_ADOPT_WINDOW_MS'
/** Bytes of outgoing frames an orphaned child buffers; beyond it output (`worker_stream`) is dropped first. */
export const ORPHAN_BUFFER_MAX_BYTES = 4 * 1024 * 1024
/** A starting supervisor retries connecting to a live child's adoption socket for this long. */
export const ADOPT_CONNECT_WAIT_MS = 3_000
/** Longest wait for a child's `worker_adopted` after `adopt_worker`. */
export const ADOPT_HANDSHAKE_TIMEOUT_MS = 3_000
/** An adopted child whose socket closed is waited out this long before its tree is killed. */
export const ADOPTED_EXIT_WAIT_MS = 2_000
/** Poll interval while waiting for an adopted (not our child) process to disappear. */
export const ADOPTED_EXIT_POLL_MS = 25
/** Environment variable naming one child's process tree (`RELAY_WORKER_MARK=<uuid>`); the child reads it to find itself in the PID journal. */
export const WORKER_MARK_ENV = 'RELAY_WORKER_MARK'
