/**
 * The frame catalogue between the supervisor (`broker init`) and its children
 * (`broker pty`, `broker headless`): one closed zod union per direction.
 *
 * Envelope: `{ v, type, request_id, payload }`. Each frame type has
 * one payload schema; anything else is refused by the decoder with a coded error.
 */
import * as z from 'zod'

const requestId = z.string().nullable()
const u16 = z.number().int().min(0).max(65_535)

// ── shared payload parts ─────────────────────────────────────────────────────

export const injectionModeSchema = z.enum(['wait', 'steer'])

export const restartPolicySchema = z.object({
  enabled: z.boolean(),
  max_restarts: z.number().int().nonnegative(),
  cooldown_ms: z.number().int().nonnegative(),
  max_consecutive_failures: z.number().int().nonnegative()
})

export const agentSpecSchema = z.object({
  name: z.string(),
  runtime: z.enum(['pty', 'headless']),
  provider: z.string().nullable().optional(),
  cli: z.string().nullable(),
  model: z.string().nullable().optional(),
  cwd: z.string().nullable().optional(),
  team: z.string().nullable().optional(),
  shadow_of: z.string().nullable().optional(),
  shadow_mode: z.string().nullable().optional(),
  args: z.array(z.string()),
  channels: z.array(z.string()),
  restart_policy: restartPolicySchema.nullable().optional(),
  /** No relay MCP wiring for this agent: the child injects without the MCP reminder. */
  skip_relay_prompt: z.boolean().optional(),
  /** Echo-verification window for this agent (seconds); default VERIFY_WINDOW_MS. */
  verify_window_secs: z.number().positive().nullable().optional(),
  /** How long a delivery may wait to be typed (agent down, not ready, busy) before it is dead-lettered. */
  inject_timeout_secs: z.number().positive().nullable().optional(),
  /** The local user the CLI runs as (`run_as` of the spawn; docs/security.md). */
  run_as: z.string().nullable().optional()
})

export const relayDeliverySchema = z.object({
  delivery_id: z.string().min(1),
  event_id: z.string().min(1),
  workspace_id: z.string().nullable().optional(),
  workspace_alias: z.string().nullable().optional(),
  from: z.string(),
  target: z.string(),
  body: z.string(),
  thread_id: z.string().nullable().optional(),
  priority: z.number().int().min(0).max(4).nullable().optional(),
  injection_mode: injectionModeSchema.default('wait'),
  /** Epoch ms after which the child must not start typing this delivery (it fails, untyped). */
  deadline_ms: z.number().nullable().optional()
})

const deliveryRef = { delivery_id: z.string(), event_id: z.string() }
const deliveryStamp = { ...deliveryRef, worker_name: z.string(), timestamp: z.number() }

export const adoptionSchema = z.object({
  socket_path: z.string().min(1),
  secret: z.string().min(16),
  window_ms: z.number().int().positive(),
  /**
   * The PID journal (`pids.json`). An orphan whose environment marker is not in it cannot be
   * found by the next supervisor (it died before recording this child): it stops at once instead
   * of waiting, so the agent is never run twice.
   */
  journal_path: z.string().min(1).optional()
})

/** What an orphaned child did and is, told to the supervisor that adopts it (`worker_adopted`). */
export const adoptedStateSchema = z.object({
  name: z.string(),
  cli_pid: z.number().int().nullable(),
  /** The CLI is ready (`worker_ready` was sent or would have been). */
  ready: z.boolean(),
  /** Deliveries waiting or in flight in the child. */
  busy: z.boolean(),
  blocked: z.string().nullable(),
  /** How long the child was without a supervisor. */
  downtime_ms: z.number().int().nonnegative(),
  /** Deliveries typed / verified / failed while it was alone (their frames follow, buffered). */
  injected_alone: z.array(z.string()),
  verified_alone: z.array(z.string()),
  failed_alone: z.array(z.string()),
  /** Frames buffered while alone, sent right after this one; `dropped_frames` did not fit the buffer. */
  buffered_frames: z.number().int().nonnegative(),
  dropped_frames: z.number().int().nonnegative(),
  /** The screen's last lines (pty children). */
  screen_tail: z.string().optional()
})

// ── broker → worker ──────────────────────────────────────────────────────────

function frame<T extends string, P extends z.ZodType>(type: T, payload: P) {
  return z.object({ v: z.number().int(), type: z.literal(type), request_id: requestId, payload })
}

export const brokerToWorkerSchema = z.discriminatedUnion('type', [
  frame(
    'init_worker',
    z.object({
      agent: agentSpecSchema,
      /**
       * Append-only file where the child records, durably and before typing, which deliveries
       * it injected and which it verified; it survives the child and the supervisor.
       */
      facts_path: z.string().nullable().optional(),
      /**
       * Where and how this child waits to be adopted if it loses its stdio without being asked
       * to stop (its supervisor died): a Unix socket it opens then, the secret an adopter must
       * present, and how long it waits before stopping its CLI and exiting.
       */
      adoption: adoptionSchema.nullable().optional()
    })
  ),
  frame('deliver_relay', relayDeliverySchema),
  frame('shutdown_worker', z.object({ reason: z.string(), grace_ms: z.number().int().nonnegative() })),
  frame('resize_pty', z.object({ rows: u16, cols: u16 })),
  frame('snapshot_pty', z.object({ format: z.string() })),
  frame('write_pty', z.object({ data: z.string() })),
  frame('set_model', z.object({ model: z.string().min(1) })),
  frame('ping', z.object({ ts_ms: z.number() })),
  /** First frame on an adoption socket: the new supervisor proves it knows the child's secret. */
  frame('adopt_worker', z.object({ secret: z.string().min(1), broker_pid: z.number().int() }))
])

// ── worker → broker ──────────────────────────────────────────────────────────

export const workerErrorPayloadSchema = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean()
})

export const snapshotPayloadSchema = z.union([
  z.object({
    format: z.enum(['plain', 'ansi']),
    rows: z.number().int(),
    cols: z.number().int(),
    cursor: z.tuple([z.number().int(), z.number().int()]),
    screen: z.string()
  }),
  z.object({ error: z.object({ code: z.string(), message: z.string() }) })
])

export const workerToBrokerSchema = z.discriminatedUnion('type', [
  /** The CLI process exists (sent once, right after it was started). */
  frame('worker_started', z.object({ cli_pid: z.number().int(), rows: u16, cols: u16 })),
  frame(
    'worker_ready',
    z.object({
      name: z.string(),
      runtime: z.enum(['pty', 'headless']),
      /** What made the child decide the CLI is ready. */
      reason: z.enum(['prompt', 'settled', 'silent', 'timeout', 'marker']).optional()
    })
  ),
  frame('delivery_queued', z.object(deliveryStamp)),
  /**
   * The first byte of the delivery went to the PTY but the program is not reading it yet (the
   * write has not drained). Sent only when draining is slow; `delivery_injected` follows once it
   * drains. From here on the delivery counts as (possibly) typed: it is never typed again.
   */
  frame('delivery_injecting', z.object({ ...deliveryStamp, pending_bytes: z.number().int().nonnegative() })),
  frame('delivery_injected', z.object(deliveryStamp)),
  frame('delivery_ack', z.object(deliveryRef)),
  /** `echo`: the relay line was seen on the screen; `provider`: a headless provider's stream acknowledged the turn. */
  frame('delivery_verified', z.object({ ...deliveryRef, verification: z.enum(['echo', 'provider']) })),
  frame(
    'delivery_failed',
    z.object({
      ...deliveryRef,
      reason: z.string(),
      /** Last stage the child reached before failing: the text may or may not have been typed. */
      stage: z.enum(['queued', 'injected'])
    })
  ),
  frame('delivery_active', z.object({ ...deliveryRef, pattern: z.string() })),
  frame(
    'worker_stream',
    z.object({
      stream: z.enum(['stdout', 'stderr']),
      chunk: z.string(),
      /** Headless: the provider's own event type (`assistant`, `tool_use`, `result`…); the chunk is its JSON. */
      event_type: z.string().optional()
    })
  ),
  frame('agent_idle', z.object({ idle_secs: z.number().int(), reason: z.string().optional() })),
  frame(
    'agent_exit',
    z.object({
      reason: z.enum(['agent_requested', 'pty_closed', 'child_exited']),
      last_output: z.string().optional()
    })
  ),
  frame('worker_exited', z.object({ code: z.number().int().nullable(), signal: z.string().nullable() })),
  frame('worker_error', workerErrorPayloadSchema),
  frame('pong', z.object({ ts_ms: z.number() })),
  frame('snapshot_response', snapshotPayloadSchema),
  frame(
    'continuity_command',
    z.object({ action: z.enum(['save', 'load', 'uncertain']), content: z.string() })
  ),
  /** The child answered a CLI dialog on its own (an auto-answer rule of the CLI's profile fired). */
  frame('auto_answered', z.object({ rule: z.string(), answer: z.string(), keys: z.string() })),
  /**
   * The CLI cannot take input (a login or auth wall): it is not ready and will not become ready
   * by itself. `worker_ready` may still follow if the screen changes (someone logged in).
   */
  frame('worker_blocked', z.object({ reason: z.string() })),
  /** Answer to a valid `adopt_worker`: the child's state; its buffered frames follow. */
  frame('worker_adopted', adoptedStateSchema)
])

export type BrokerToWorkerFrame = z.infer<typeof brokerToWorkerSchema>
export type WorkerToBrokerFrame = z.infer<typeof workerToBrokerSchema>
export type BrokerToWorkerType = BrokerToWorkerFrame['type']
export type WorkerToBrokerType = WorkerToBrokerFrame['type']
export type FrameOf<F extends { type: string }, T extends F['type']> = Extract<F, { type: T }>
export type PayloadOf<F extends { type: string; payload: unknown }, T extends F['type']> = Extract<F, { type: T }>['payload']
export type AgentSpec = z.infer<typeof agentSpecSchema>
export type RelayDelivery = z.infer<typeof relayDeliverySchema>
export type RestartPolicy = z.infer<typeof restartPolicySchema>
export type InjectionMode = z.infer<typeof injectionModeSchema>
export type WorkerErrorPayload = z.infer<typeof workerErrorPayloadSchema>
export type SnapshotPayload = z.infer<typeof snapshotPayloadSchema>
export type Adoption = z.infer<typeof adoptionSchema>
export type AdoptedState = z.infer<typeof adoptedStateSchema>

/** Frame type names of each direction, for exhaustive tests and `unknown_type` errors. */
export const BROKER_TO_WORKER_TYPES: readonly string[] = brokerToWorkerSchema.options.map((o) => o.shape.type.value)
export const WORKER_TO_BROKER_TYPES: readonly string[] = workerToBrokerSchema.options.map((o) => o.shape.type.value)
