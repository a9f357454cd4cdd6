/**
 * Coded errors of the frame channel between the supervisor and a child. `fatal` means the stream
 * cannot be read any further. These are wire-level and stay here (src/protocol imports nothing of
 * ours); they are not in the broker's error catalogue (src/errors, docs/errors.md), and no code
 * may mean one thing here and another there: test/errors/catalogue.test.ts checks they differ.
 */
export const FRAME_ERROR_CODES = [
  'frame_too_large',
  'truncated_frame',
  'invalid_frame',
  'unknown_type',
  'invalid_payload',
  'invalid_delivery',
  'invalid_outgoing_frame'
] as const

export type FrameErrorCode = (typeof FRAME_ERROR_CODES)[number]

export class FrameError extends Error {
  readonly code: FrameErrorCode
  /** True when the decoder had to stop: the byte stream has lost its framing. */
  readonly fatal: boolean
  /** `request_id` of the offending frame when it could be read, so the receiver can answer it. */
  readonly requestId: string | null
  /** `type` of the offending frame when it could be read. */
  readonly frameType: string | null

  constructor(
    code: FrameErrorCode,
    message: string,
    opts: { fatal?: boolean; requestId?: string | null; frameType?: string | null } = {}
  ) {
    super(message)
    this.name = 'FrameError'
    this.code = code
    this.fatal = opts.fatal ?? false
    this.requestId = opts.requestId ?? null
    this.frameType = opts.frameType ?? null
  }
}
