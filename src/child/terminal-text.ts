/**
 * The one encoder for text typed into an agent's terminal (docs/security.md, docs/delivery.md).
 * Nothing a sender controls may become a key the agent did not mean to receive, so every byte the
 * broker types on an agent's behalf — the relay line, the reminders, the header fields — goes
 * through here:
 *
 * - C0 controls, DEL and ESC become caret notation (`^[`, `^U`, `^?`), C1 controls (U+0080–U+009F)
 *   `cat -v`'s `M-^[` form. A tab becomes spaces. A lone UTF-16 surrogate (what invalid UTF-8
 *   leaves behind after a lenient decode) becomes U+FFFD.
 * - Line breaks (`\r\n`, `\r`, `\n`, U+2028, U+2029) are kept, as `\n`, only in multi-line text;
 *   in a single-line field they are made visible like any other control.
 * - `terminalInput` turns the result into what is written: multi-line text as one bracketed paste
 *   (the paste markers cannot occur inside, ESC being visible) where the CLI supports it, otherwise
 *   one line with each line break rendered as ` ⏎ `. The broker's own Enter is the only one.
 * - When the CLI's locale is not UTF-8, everything outside ASCII is typed as `{U+XXXX}` (a
 *   readline program would take its bytes as Meta+key) and a line break as ` // `.
 */

/** What a line break inside a body looks like when the CLI cannot take a bracketed paste. */
export const INLINE_LINE_BREAK = ' \u23ce '
/** A tab is typed as this many spaces (a tab is a key to many CLIs: completion, mode switches). */
export const TAB_AS_SPACES = '    '
export const PASTE_START = '\x1b[200~'
export const PASTE_END = '\x1b[201~'

const LINE_BREAKS = /\r\n|[\r\n\u2028\u2029]/g
/** C0, DEL, C1, the Unicode line/paragraph separators and lone surrogates. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

const UNSAFE_ONE = new RegExp(UNSAFE.source)

/** The visible form of one unsafe code unit. */
function visible(ch: string): string {
  const code = ch.charCodeAt(0)
  if (ch === '\t') return TAB_AS_SPACES
  if (code < 0x20) return '^' + String.fromCharCode(code + 0x40)
  if (code === 0x7f) return '^?'
  if (code >= 0x80 && code <= 0x9f) return 'M-^' + String.fromCharCode(code - 0x80 + 0x40)
  if (code === 0x2028) return '[LS]'
  if (code === 0x2029) return '[PS]'
  return '\ufffd' // a lone surrogate
}

/** A single-line field (a name, an id, a label): every control and line break made visible. */
export function terminalField(text: string): string {
  return text.replace(UNSAFE, visible)
}

/** Multi-line text: split at line breaks, every other control made visible in each line. */
export function terminalLines(text: string): string[] {
  return text.split(LINE_BREAKS).map(terminalField)
}

/** Multi-line text made safe and rejoined with `\n` (the only control left in it). */
export function terminalText(text: string): string {
  return terminalLines(text).join('\n')
}

/** How the CLI on the other end takes text. */
export interface TerminalMode {
  /** The CLI understands bracketed paste (ESC[200~ … ESC[201~) for multi-line text. */
  bracketedPaste: boolean
  /**
   * The CLI's locale is not UTF-8: readline-style programs then take every byte with the eighth
   * bit set as Meta+key (`convert-meta`), so everything outside ASCII is typed as `{U+XXXX}`.
   */
  asciiOnly: boolean
}

/** What to write to the PTY for a piece of text, and the text it should put on the screen. */
export interface TerminalInput {
  /** The bytes to write (without the broker's Enter). */
  bytes: string
  /** The text as the CLI should show it: `bytes` without paste markers. */
  shown: string
  /** True when the text goes as a bracketed paste. */
  pasted: boolean
}

/** What a line break inside a body looks like in ASCII-only mode. */
export const INLINE_LINE_BREAK_ASCII = ' // '
const NON_ASCII = /[^\u0000-\u007f]/gu

function asciiOnly(text: string): string {
  return text.replace(NON_ASCII, (ch) => `{U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`)
}

/**
 * Encodes `text` for typing. Multi-line text goes as one bracketed paste when the CLI takes one,
 * otherwise as one line with the breaks rendered as `INLINE_LINE_BREAK`. Whatever `text` holds,
 * the result contains no control byte but `\n` inside a paste and the paste markers around it.
 */
export function terminalInput(text: string, mode: TerminalMode): TerminalInput {
  let lines = terminalLines(text)
  if (mode.asciiOnly) lines = lines.map(asciiOnly)
  if (lines.length > 1 && mode.bracketedPaste) {
    const shown = lines.join('\n')
    return { bytes: PASTE_START + shown + PASTE_END, shown, pasted: true }
  }
  const shown = lines.join(mode.asciiOnly ? INLINE_LINE_BREAK_ASCII : INLINE_LINE_BREAK)
  return { bytes: shown, shown, pasted: false }
}

/** True when the locale an environment selects (LC_ALL, else LC_CTYPE, else LANG) is UTF-8. */
export function localeIsUtf8(env: NodeJS.ProcessEnv): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || ''
  return /utf-?8/i.test(locale)
}

/** True when `text` holds nothing a terminal would take as a key besides printable text (and `\n` if allowed). */
export function isInert(text: string, allowNewline = false): boolean {
  const probe = allowNewline ? text.replace(/\n/g, '') : text
  return !UNSAFE_ONE.test(probe)
}
