/**
 * The child's end of the frame channel, able to outlive its supervisor (`broker pty`,
 * `broker headless`).
 *
 * It starts on stdio (frames in on stdin, out on stdout). When that channel is lost without a
 * requested shutdown — stdin EOF or EPIPE on stdout: the supervisor died — and `init_worker`
 * named an adoption socket, the child becomes an orphan instead of stopping:
 *   - frames it would send are validated, encoded and buffered (at most ORPHAN_BUFFER_MAX_BYTES;
 *     `worker_stream` output is dropped first, then the oldest frames), and the deliveries it
 *     injects, verifies or fails meanwhile are noted;
 *   - it listens on the Unix socket (mode 0600) and waits at most `window_ms` for an adopter;
 *   - an adopter must send `adopt_worker` with the child's secret first; anything else, or a
 *     wrong secret, gets `worker_error{code:"adopt_refused"}` and the connection is closed;
 *   - a valid adopter gets `worker_adopted` (the child's state), then the buffered frames, then
 *     the same frames as on stdio, both ways. If that socket is lost too, the child is an orphan
 *     again (same socket, same secret, a new window);
 *   - when the window passes, `onAbandoned` stops the CLI and the child exits.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync, unlinkSync } from 'node:fs'
import { FrameChannel, openWorkerChannel } from '../protocol/channel.js'
import { ADOPT_HANDSHAKE_TIMEOUT_MS, WORKER_MARK_ENV } from '../protocol/constants.js'
import type { FrameError } from '../protocol/errors.js'
import type { Logger } from '../protocol/log.js'
import {
  BROKER_TO_WORKER_TYPES,
  brokerToWorkerSchema,
  workerToBrokerSchema,
  type AdoptedState,
  type Adoption,
  type BrokerToWorkerFrame,
  type PayloadOf,
  type WorkerToBrokerFrame,
  type WorkerToBrokerType
} from '../protocol/frames.js'

/** Bytes of outgoing frames an orphaned child buffers; beyond it output (`worker_stream`) is dropped first. */
export const ORPHAN_BUFFER_MAX_BYTES = 4 * 1024 * 1024

type Channel = FrameChannel<BrokerToWorkerFrame, WorkerToBrokerFrame>

/** What the worker itself knows about its state when it is adopted. */
export type WorkerSelfState = Pick<AdoptedState, 'name' | 'cli_pid' | 'ready' | 'busy' | 'blocked' | 'screen_tail'>

export interface WorkerLinkHandlers {
  onFrame: (frame: BrokerToWorkerFrame) => void
  onError: (err: FrameError) => void
  /** The channel is gone and the child cannot wait for an adopter: stop (the pre-adoption behaviour). */
  onEnd: () => void
  /** The adoption window passed with nobody adopting: stop the CLI and exit. */
  onAbandoned: (windowMs: number) => void
  selfState: () => WorkerSelfState
  log: Logger
}

interface Buffered {
  type: WorkerToBrokerType
  bytes: Buffer
}

const ALONE_TYPES = new Set(['delivery_injected', 'delivery_verified', 'delivery_failed'])

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest()
}

export class WorkerLink {
  readonly #h: WorkerLinkHandlers
  /** Encodes and validates frames for the buffer (never written: its output is stdout). */
  readonly #stdio: Channel
  #live: Channel | null
  #adoption: Adoption | null = null
  #stopping = false
  #orphanedAt: number | null = null
  #buffer: Buffered[] = []
  #bufferBytes = 0
  #dropped = 0
  #alone = { injected: [] as string[], verified: [] as string[], failed: [] as string[] }
  #server: Server | null = null
  #window: NodeJS.Timeout | null = null
  #adopter: Socket | null = null

  constructor(handlers: WorkerLinkHandlers) {
    this.#h = handlers
    this.#stdio = openWorkerChannel({
      onFrame: (f) => this.#h.onFrame(f),
      onError: (e) => this.#h.onError(e),
      onEnd: () => this.#lost(this.#stdio),
      onOutputError: () => this.#lost(this.#stdio)
    })
    this.#live = this.#stdio
  }

  /** From `init_worker`: where to wait for an adopter if the supervisor goes away. */
  configure(adoption: Adoption | null | undefined): void {
    this.#adoption = adoption ?? null
  }

  /** A shutdown was requested: losing the channel from now on is expected, never waited out. */
  stopping(): void {
    this.#stopping = true
  }

  /** True while no supervisor is connected and the child waits to be adopted. */
  get orphaned(): boolean {
    return this.#orphanedAt !== null
  }

  /** True when nothing can be sent now or later (no channel and no adoption to wait for). */
  get closed(): boolean {
    return this.#live === null && this.#orphanedAt === null
  }

  /**
   * Validates and sends one frame, or buffers it while orphaned. False when it can be neither
   * sent nor buffered. An invalid frame is a programming error and throws.
   */
  send<T extends WorkerToBrokerType>(type: T, payload: PayloadOf<WorkerToBrokerFrame, T>, requestId: string | null = null): boolean {
    const live = this.#live
    if (live && !live.closed) return live.send(type, payload as never, requestId)
    if (this.#orphanedAt === null) return false
    this.#keep(type, this.#stdio.encode(type, payload as never, requestId), payload)
    return true
  }

  /** Waits (bounded) until the live channel took every frame written so far. */
  drain(timeoutMs: number): Promise<void> {
    return this.#live ? this.#live.drain(timeoutMs) : Promise.resolve()
  }

  /** Closes everything: the channel, the adoption socket and its file. Nothing is sent after this. */
  close(): void {
    this.#stopping = true
    this.#stopListening()
    this.#orphanedAt = null
    this.#live?.close()
    this.#live = null
    this.#adopter?.destroy()
  }

  #keep(type: WorkerToBrokerType, bytes: Buffer, payload: unknown): void {
    if (ALONE_TYPES.has(type)) {
      const id = (payload as { delivery_id: string }).delivery_id
      if (type === 'delivery_injected') this.#alone.injected.push(id)
      else if (type === 'delivery_verified') this.#alone.verified.push(id)
      else this.#alone.failed.push(id)
    }
    this.#buffer.push({ type, bytes })
    this.#bufferBytes += bytes.length
    while (this.#bufferBytes > ORPHAN_BUFFER_MAX_BYTES && this.#buffer.length > 0) {
      // Output goes first; the delivery frames are what the next supervisor reconciles with.
      let i = this.#buffer.findIndex((b) => b.type === 'worker_stream')
      if (i === -1) i = 0
      const [gone] = this.#buffer.splice(i, 1)
      this.#bufferBytes -= gone!.bytes.length
      this.#dropped++
    }
  }

  #lost(channel: Channel): void {
    if (this.#live !== channel) return
    if (this.#stopping || this.#adoption === null) {
      // Nobody will adopt us: stop. The output side may still work (only stdin closed) and
      // carries the last frames (`worker_exited`).
      this.#h.onEnd()
      return
    }
    this.#live = null
    channel.detachInput()
    channel.close()
    if (!this.#recorded(this.#adoption)) {
      this.#h.log.warn('supervisor gone before it recorded this child: nobody can adopt it, stopping')
      this.#stopping = true
      this.#h.onEnd()
      return
    }
    this.#orphan()
  }

  /** Whether the PID journal names this child (by its environment marker): only then can it be adopted. */
  #recorded(adoption: Adoption): boolean {
    const marker = process.env[WORKER_MARK_ENV]
    if (!adoption.journal_path || !marker) return true
    try {
      const doc = JSON.parse(readFileSync(adoption.journal_path, 'utf8')) as { children?: { env_marker?: string }[] }
      return (doc.children ?? []).some((c) => c.env_marker === `${WORKER_MARK_ENV}=${marker}`)
    } catch {
      return false
    }
  }

  #orphan(): void {
    const adoption = this.#adoption!
    this.#orphanedAt = Date.now()
    this.#alone = { injected: [], verified: [], failed: [] }
    this.#h.log.warn({ window_ms: adoption.window_ms }, 'supervisor gone: the agent keeps running; waiting to be adopted')
    this.#window = setTimeout(() => {
      this.#window = null
      if (this.#live !== null) return
      this.#stopListening()
      this.#h.onAbandoned(adoption.window_ms)
    }, adoption.window_ms)
    this.#listen(adoption)
  }

  #listen(adoption: Adoption): void {
    try {
      unlinkSync(adoption.socket_path)
    } catch {
      // not there
    }
    const server = createServer((socket) => this.#onConnection(socket, adoption))
    server.on('error', (err) => {
      // Without a socket nobody can adopt us: stop now rather than at the end of the window.
      this.#h.log.error({ err }, 'adoption socket unavailable: stopping now')
      this.#stopListening()
      if (this.#live === null && !this.#stopping) this.#h.onAbandoned(0)
    })
    // The socket file is created with mode 0600 (umask while binding; this process has one thread).
    const old = process.umask(0o177)
    try {
      server.listen(adoption.socket_path)
    } finally {
      process.umask(old)
    }
    this.#server = server
  }

  #stopListening(): void {
    if (this.#window) clearTimeout(this.#window)
    this.#window = null
    if (!this.#server) return
    this.#server.close()
    this.#server = null
    try {
      if (this.#adoption) unlinkSync(this.#adoption.socket_path)
    } catch {
      // already gone
    }
  }

  #onConnection(socket: Socket, adoption: Adoption): void {
    if (this.#live !== null || this.#adopter !== null) {
      socket.destroy()
      return
    }
    let decided = false
    const timer = setTimeout(() => refuse('no adopt_worker in time'), ADOPT_HANDSHAKE_TIMEOUT_MS)
    const refuse = (why: string): void => {
      if (decided) return
      decided = true
      clearTimeout(timer)
      this.#h.log.warn({ why }, 'adoption refused')
      ch.detachInput()
      try {
        ch.send('worker_error', { code: 'adopt_refused', message: `adoption refused: ${why}`, retryable: false })
      } finally {
        socket.end()
        setTimeout(() => socket.destroy(), 500).unref()
      }
    }
    const ch: Channel = new FrameChannel<BrokerToWorkerFrame, WorkerToBrokerFrame>({
      input: socket,
      output: socket,
      inSchema: brokerToWorkerSchema,
      inTypes: BROKER_TO_WORKER_TYPES,
      outSchema: workerToBrokerSchema,
      onFrame: (frame) => {
        if (decided) return this.#h.onFrame(frame)
        if (frame.type !== 'adopt_worker') return refuse(`expected adopt_worker, got ${frame.type}`)
        if (!timingSafeEqual(digest(frame.payload.secret), digest(adoption.secret))) return refuse('wrong credentials')
        decided = true
        clearTimeout(timer)
        this.#adopted(ch, socket)
      },
      onError: (err) => {
        if (decided) this.#h.onError(err)
        else refuse(`bad frame: ${err.code}`)
      },
      onEnd: () => {
        if (!decided) return refuse('closed before adopt_worker')
        this.#adopterGone(ch, socket)
      },
      onOutputError: () => {
        if (decided) this.#adopterGone(ch, socket)
      }
    })
    socket.on('error', () => {})
  }

  #adopted(ch: Channel, socket: Socket): void {
    this.#stopListening()
    const state: AdoptedState = {
      ...this.#h.selfState(),
      downtime_ms: Math.max(0, Date.now() - (this.#orphanedAt ?? Date.now())),
      injected_alone: this.#alone.injected,
      verified_alone: this.#alone.verified,
      failed_alone: this.#alone.failed,
      buffered_frames: this.#buffer.length,
      dropped_frames: this.#dropped
    }
    this.#adopter = socket
    this.#live = ch
    this.#orphanedAt = null
    ch.send('worker_adopted', state)
    for (const b of this.#buffer) ch.writeEncoded(b.bytes)
    this.#buffer = []
    this.#bufferBytes = 0
    this.#dropped = 0
    this.#h.log.info({ downtime_ms: state.downtime_ms, buffered: state.buffered_frames, dropped: state.dropped_frames }, 'adopted by a new supervisor')
  }

  #adopterGone(ch: Channel, socket: Socket): void {
    if (this.#adopter === socket) this.#adopter = null
    socket.destroy()
    this.#lost(ch)
  }
}
