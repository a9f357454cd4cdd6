/** The types around a WorkerHandle: its exit report, options, request errors. */
import type { AgentSpec, BrokerToWorkerFrame, FrameError, WorkerToBrokerFrame } from '../../protocol/index.js'

import { WORKER_MARK_ENV } from '../../protocol/constants.js'

/** Bytes queued for one child's stdin beyond which it is reported as not draining. */
export const WORKER_STDIN_HIGH_WATER_BYTES = 4 * 1024 * 1024
export { WORKER_MARK_ENV }

/** Frames that may be refused while a child is not reading its stdin. */
export const OPTIONAL_FRAMES: ReadonlySet<string> = new Set(['ping', 'resize_pty', 'snapshot_pty'])

export type WorkerState = 'starting' | 'ready' | 'stopping' | 'exited'

export interface ExitInfo {
  /** Exit code of the agent CLI when the child reported it, else of the child process. */
  code: number | null
  /** Signal number as a decimal string ("9"), or null. */
  signal: string | null
  /** The last `agent_exit` reason the child sent, if any. */
  agentExitReason: string | null
  /** True when the status came from the child's `worker_exited` frame (the CLI's own status). */
  reportedByChild: boolean
  /** The screen tail from the child's `agent_exit`, if it sent one. */
  lastOutput: string | null
  /** Time from spawn to exit. */
  uptimeMs: number
  /** Whether the child ever reported `worker_ready`. */
  wasReady: boolean
}

export { WorkerRequestError } from '../../errors/index.js'

/** `H` is the handle type (handle.ts); a parameter here keeps this file free of an import back. */
export interface WorkerHandleOptions<H> {
  spec: AgentSpec
  /** argv after `node` for the child, e.g. [...CHILD_NODE_FLAGS (agent-spec.ts), brokerMain, 'pty', '--agent-name', n, cli, '--', …args]. */
  argv: string[]
  env: NodeJS.ProcessEnv
  cwd: string
  logFile: string
  onFrame: (handle: H, frame: WorkerToBrokerFrame) => void
  onFrameError: (handle: H, err: FrameError) => void
  onExit: (handle: H, info: ExitInfo) => void
  /** `worker_started` arrived (the CLI's pid is known). */
  onStarted?: (handle: H) => void
  /** `worker_ready` arrived (first time). */
  onReady?: (handle: H) => void
  /** The child's stdin backlog went over the high-water mark (true) or drained (false). */
  onCongestion?: (handle: H, congested: boolean, backlogBytes: number) => void
  /** An adopted child keeps the marker and start time it had (pid journal). */
  marker?: string
  startedAt?: number
  /** Backlog beyond which the child counts as congested; default WORKER_STDIN_HIGH_WATER_BYTES. */
  stdinHighWaterBytes?: number
}

export interface PendingRequest {
  resolve: (payload: unknown) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

export type OutType = BrokerToWorkerFrame['type']
export type OutPayload<T extends OutType> = Extract<BrokerToWorkerFrame, { type: T }>['payload']
