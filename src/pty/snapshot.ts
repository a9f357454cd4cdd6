/**
 * `snapshot_pty` renderings of the visible screen (the `/api/pty` snapshot route and `broker dump-pty`).
 *   plain: each row right-trimmed + '\n'.
 *   ansi:  ESC[0m ESC[H ESC[2J, then per row ESC[<row>;1H and its cells with a full
 *          ESC[0;…m only where attributes change, a final ESC[0m if attributes are still set,
 *          then the cursor position. Returned base64-encoded.
 */
import type { IBufferCell, Terminal } from '@xterm/headless'
import type { SnapshotPayload } from '../protocol/frames.js'
import type { Screen } from './screen.js'

export type SnapshotFormat = 'plain' | 'ansi'

/** '', 'plain', 'text' → plain; 'ansi' → ansi (case-insensitive, trimmed); else null. */
export function parseSnapshotFormat(format: string): SnapshotFormat | null {
  const f = format.trim().toLowerCase()
  if (f === '' || f === 'plain' || f === 'text') return 'plain'
  if (f === 'ansi') return 'ansi'
  return null
}

export function plainScreen(screen: Screen): string {
  const rows = screen.visibleRows()
  let out = ''
  for (const row of rows) out += row + '\n'
  return out
}

// xterm colour modes (IBufferCell.getFgColorMode / getBgColorMode).
const CM_P16 = 0x1000000
const CM_P256 = 0x2000000
const CM_RGB = 0x3000000

function colourCodes(mode: number, colour: number, background: boolean): string {
  if (mode === CM_P16 && colour >= 0 && colour < 16) {
    const base = colour < 8 ? (background ? 40 : 30) + colour : (background ? 100 : 90) + colour - 8
    return `;${base}`
  }
  if (mode === CM_P256 || mode === CM_P16) return `;${background ? 48 : 38};5;${colour}`
  if (mode === CM_RGB) return `;${background ? 48 : 38};2;${(colour >> 16) & 0xff};${(colour >> 8) & 0xff};${colour & 0xff}`
  return ''
}

/** The SGR for a cell's attributes, or '' for default attributes. */
export function cellSgr(cell: IBufferCell): string {
  let params = ''
  if (cell.isBold()) params += ';1'
  if (cell.isUnderline()) params += ';4'
  if (cell.isInverse()) params += ';7'
  params += colourCodes(cell.getFgColorMode(), cell.getFgColor(), false)
  params += colourCodes(cell.getBgColorMode(), cell.getBgColor(), true)
  return params.length === 0 ? '' : `\x1b[0${params}m`
}

export function ansiScreen(term: Terminal): string {
  const b = term.buffer.active
  const cell = b.getNullCell()
  let out = '\x1b[0m\x1b[H\x1b[2J'
  let current = ''
  for (let y = 0; y < term.rows; y++) {
    out += `\x1b[${y + 1};1H`
    const line = b.getLine(b.baseY + y)
    if (!line) continue
    // Trailing cells that are blank and have default attributes add nothing.
    let end = Math.min(line.length, term.cols)
    while (end > 0) {
      const c = line.getCell(end - 1, cell)
      if (!c || !c.isAttributeDefault()) break
      const ch = c.getChars()
      if (ch !== '' && ch !== ' ') break
      end--
    }
    for (let x = 0; x < end; x++) {
      const c = line.getCell(x, cell)
      if (!c || c.getWidth() === 0) continue // the spacer half of a wide character
      const sgr = cellSgr(c)
      if (sgr !== current) {
        out += sgr === '' ? '\x1b[0m' : sgr
        current = sgr
      }
      out += c.getChars() || ' '
    }
  }
  if (current !== '') out += '\x1b[0m'
  out += `\x1b[${b.cursorY + 1};${Math.min(b.cursorX, term.cols - 1) + 1}H`
  return out
}

export function snapshotPayload(screen: Screen, format: SnapshotFormat): SnapshotPayload {
  const [row, col] = screen.cursor()
  const text = format === 'plain' ? plainScreen(screen) : Buffer.from(ansiScreen(screen.term), 'utf8').toString('base64')
  return { format, rows: screen.rows, cols: screen.cols, cursor: [row, col], screen: text }
}
