/** Hostile inputs shared by the security tests (not a test file). */

/** Every way the issue names (and a few more) for text to become a key. */
export const HOSTILE_SEQUENCES: readonly string[] = [
  '\r',
  '\n',
  '\r\n',
  '\x0f', // Ctrl-O: operate-and-get-next
  '\x15', // Ctrl-U: kill line
  '\x03', // Ctrl-C
  '\x01\x0b', // Ctrl-A Ctrl-K
  '\x17', // Ctrl-W
  '\x04', // Ctrl-D
  '\x1a', // Ctrl-Z
  '\x16\r', // Ctrl-V then a literal CR
  '\x1b', // ESC
  '\x1b\r', // Meta-Enter
  '\x1b[201~\r', // bracketed paste end, then Enter
  '\x1b[200~', // a nested paste start
  '\x9b201~\r', // C1 CSI form of the paste end
  '\x85', // NEL
  '\u2028',
  '\u2029',
  '\x7f',
  '\x00',
  '\ud800', // a lone surrogate (what invalid UTF-8 leaves behind)
  '\x1b]0;title\x07', // OSC
  '\x1b[6n' // a terminal query whose reply would be typed back
]

/** Sequences tried inside names (sender, channel, agent, workspace label). */
export const NAME_ATTACK_SEQUENCES: readonly string[] = ['\r', '\n', '\x0f', '\x15', '\x03', '\x01\x0b', '\x1b[201~\r', '\u2028', '\x00']

/**
 * Non-ASCII text whose UTF-8 bytes, taken as Meta+key by readline in a non-UTF-8 locale, would be
 * ESC C-m (Í: C3 8D), ESC C-j (Ê: C3 8A), ESC C-o (Ï: C3 8F), ESC C-u (Õ: C3 95), ESC C-c (Ã: C3 83)…
 */
export const NON_UTF8_LOCALE_BODIES: readonly string[] = ['ÍÍ', 'Ê', 'Ï', 'Õ', 'Ã', '⏎', '😀', 'café\u00cd']
