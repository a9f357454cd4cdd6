/**
 * The screen model: an @xterm/headless Terminal fed every PTY chunk. It answers terminal
 * queries (DSR/CPR, DA…) through `onReply` from its real state, and tells when output has
 * been parsed so readers look at parsed state only.
 */
import xtermHeadless from '@xterm/headless'
import type { IBuffer, IMarker, Terminal as XtermTerminal } from '@xterm/headless'

/** Lines of scrollback kept by the child's screen model. */
export const SCREEN_SCROLLBACK_LINES = 2_000

const { Terminal } = xtermHeadless

/** The part of an xterm buffer the text renderers read (a real IBuffer in production). */
export type BufferLike = Pick<IBuffer, 'length' | 'getLine'>

/**
 * Renders buffer lines `start…end` as text: a soft-wrapped row (`isWrapped`) is joined to the
 * previous one without separator, other rows are separated by '\n'. A row that continues on
 * the next row keeps its trailing spaces (they are real text); others are right-trimmed.
 */
export function renderBufferText(buffer: BufferLike, start = 0, end = buffer.length): string {
  const parts: string[] = []
  let next = start < end ? buffer.getLine(start) : undefined
  for (let y = start; y < end && next; y++) {
    const line = next
    next = y + 1 < end ? buffer.getLine(y + 1) : undefined
    if (y > start && !line.isWrapped) parts.push('\n')
    parts.push(next?.isWrapped ? line.translateToString(false) : trimRightSpaces(line.translateToString(true)))
  }
  return parts.join('')
}

const TRAILING_SPACES = / +$/

/** `text` without trailing spaces (xterm's own trim keeps spaces that were written). */
export function trimRightSpaces(text: string): string {
  return text.charCodeAt(text.length - 1) === 32 ? text.replace(TRAILING_SPACES, '') : text
}

/** The last `maxChars` UTF-16 units of `text`, never starting inside a surrogate pair. */
export function charSafeTail(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text
  let start = text.length - maxChars
  const code = text.charCodeAt(start)
  if (code >= 0xdc00 && code <= 0xdfff) start++
  return text.slice(start)
}

export class Screen {
  readonly term: XtermTerminal
  #parsePending = 0
  #dirty = false
  /** Waiting for the next time everything fed has been parsed (`nextParsed`). */
  #parsedWaiters: (() => void)[] = []
  /** Called whenever everything fed so far has been parsed. */
  onAllParsed: (() => void) | null = null
  readonly #onParsed = (): void => {
    this.#parsePending--
    this.#dirty = true
    if (this.#parsePending !== 0) return
    if (this.#parsedWaiters.length > 0) {
      const waiters = this.#parsedWaiters
      this.#parsedWaiters = []
      for (const w of waiters) w()
    }
    this.onAllParsed?.()
  }

  constructor(rows: number, cols: number, onReply: (data: string) => void) {
    this.term = new Terminal({ rows, cols, scrollback: SCREEN_SCROLLBACK_LINES, allowProposedApi: true })
    this.term.onData(onReply)
  }

  get rows(): number {
    return this.term.rows
  }

  get cols(): number {
    return this.term.cols
  }

  /** Feeds one raw PTY chunk (xterm decodes UTF-8 across chunks itself). */
  feed(chunk: Uint8Array): void {
    this.#parsePending++
    this.term.write(chunk, this.#onParsed)
  }

  /** True while some fed output has not been parsed yet. */
  get parsing(): boolean {
    return this.#parsePending > 0
  }

  /** True once if output was parsed since the last call. */
  takeDirty(): boolean {
    const dirty = this.#dirty
    this.#dirty = false
    return dirty
  }

  /** Resolves when everything fed so far has been parsed. */
  settle(): Promise<void> {
    return new Promise((resolve) => this.term.write('', resolve))
  }

  /**
   * Resolves the next time output fed from now on has all been parsed (the screen may have
   * changed), or after `timeoutMs`, whichever comes first: a wait for the screen without polling.
   */
  nextParsed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const parsed = (): void => {
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        const i = this.#parsedWaiters.indexOf(parsed)
        if (i !== -1) this.#parsedWaiters.splice(i, 1)
        resolve()
      }, timeoutMs)
      this.#parsedWaiters.push(parsed)
    })
  }

  resize(rows: number, cols: number): void {
    this.term.resize(cols, rows)
  }

  /** 1-indexed [row, col] of the cursor on the visible screen. */
  cursor(): [number, number] {
    const b = this.term.buffer.active
    return [b.cursorY + 1, Math.min(b.cursorX, this.term.cols - 1) + 1]
  }

  /** The visible row under the cursor, right-trimmed. */
  cursorRowText(): string {
    const b = this.term.buffer.active
    return trimRightSpaces(b.getLine(b.baseY + b.cursorY)?.translateToString(true) ?? '')
  }

  /** Every visible row, right-trimmed (blank rows are empty strings). */
  visibleRows(): string[] {
    const b = this.term.buffer.active
    const out: string[] = new Array(this.term.rows)
    for (let y = 0; y < this.term.rows; y++) out[y] = trimRightSpaces(b.getLine(b.baseY + y)?.translateToString(true) ?? '')
    return out
  }

  /** The visible screen as text (soft-wrapped rows joined), whatever the cursor's position. */
  visibleText(): string {
    const b = this.term.buffer.active
    return renderBufferText(b, b.baseY, b.baseY + this.term.rows)
  }

  /** A marker on the cursor's line (undefined if xterm refuses one). */
  markCursorLine(): IMarker | undefined {
    return this.term.registerMarker(0)
  }

  /** Text from the marker's line (the buffer start if it was disposed) to the end. */
  textFrom(marker: IMarker | undefined): string {
    const b = this.term.buffer.active
    const start = marker && !marker.isDisposed && marker.line >= 0 ? marker.line : 0
    return renderBufferText(b, start, b.length)
  }

  /** The last `maxChars` characters of the rendered screen text (scrollback included), trailing blank lines dropped. */
  tailText(maxChars: number): string {
    const b = this.term.buffer.active
    // Walk back far enough for maxChars of text (each row holds at most `cols` cells).
    let start = b.length
    let chars = 0
    while (start > 0 && chars < maxChars) {
      start--
      chars += (b.getLine(start)?.translateToString(true).length ?? 0) + 1
    }
    while (start > 0 && b.getLine(start)?.isWrapped) start--
    return charSafeTail(renderBufferText(b, start, b.length).trimEnd(), maxChars)
  }

  dispose(): void {
    this.term.dispose()
  }
}
