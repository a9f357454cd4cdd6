
/** `worker_stream` batching: flush when this many bytes are buffered… */
export const STREAM_BATCH_MAX_BYTES = 32_768
/** …or when this long has passed since the first unflushed byte. */
export const STREAM_FLUSH_MS = 50
/**
 * `worker_stream` batching. PTY output arrives as Buffers; a streaming UTF-8 decoder keeps
 * multi-byte characters that are split across chunks intact. Decoded text is batched and
 * flushed when STREAM_BATCH_MAX_BYTES raw bytes are buffered, or STREAM_FLUSH_MS after the
 * first unflushed byte, or on demand (before `agent_exit`).
 */

export class StreamBatcher {
  readonly #decoder = new TextDecoder('utf-8')
  readonly #emit: (chunk: string) => void
  readonly #maxBytes: number
  readonly #flushMs: number
  #parts: string[] = []
  #bytes = 0
  #timer: NodeJS.Timeout | null = null
  readonly #onTimer = (): void => {
    this.#timer = null
    this.flush()
  }

  constructor(emit: (chunk: string) => void, maxBytes = STREAM_BATCH_MAX_BYTES, flushMs = STREAM_FLUSH_MS) {
    this.#emit = emit
    this.#maxBytes = maxBytes
    this.#flushMs = flushMs
  }

  /** Adds one raw PTY chunk; returns the decoded text (possibly empty) for other consumers. */
  push(chunk: Uint8Array): string {
    const text = this.#decoder.decode(chunk, { stream: true })
    this.#bytes += chunk.length
    if (text.length > 0) this.#parts.push(text)
    if (this.#bytes >= this.#maxBytes) this.flush()
    else if (this.#timer === null && this.#bytes > 0) {
      this.#timer = setTimeout(this.#onTimer, this.#flushMs)
      this.#timer.unref()
    }
    return text
  }

  /** Emits everything buffered as one chunk. With `final`, also ends the decoder (a dangling partial character becomes U+FFFD). */
  flush(final = false): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
    if (final) {
      const rest = this.#decoder.decode()
      if (rest.length > 0) this.#parts.push(rest)
    }
    this.#bytes = 0
    if (this.#parts.length === 0) return
    const chunk = this.#parts.length === 1 ? this.#parts[0]! : this.#parts.join('')
    this.#parts = []
    this.#emit(chunk)
  }

  dispose(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }
}
