/**
 * Screen structure the profiles share, recognised by shape rather than wording: horizontal rules,
 * a prompt box between two rules, and selection menus (`❯ No, exit` / `  Yes, I trust this folder`)
 * answered by the label of the wanted option.
 */
import type { AnswerScreen, KeyStep } from '../ready/auto-answer.js'

const UP = '\x1b[A'
const DOWN = '\x1b[B'
/** A horizontal rule: nothing but box-drawing horizontals, at least this many. */
const RULE = /^[\u2500\u2501\u2550\u254C\u2504-]{20,}$/ // ─ ━ ═ ╌ ┄
/** Glyphs CLIs put before the highlighted option of a menu. */
const SELECTED = /^\s*[\u276F\u203A>\u25B6\u25CF]\s*\S/ // ❯ › ▶ ●
/** Rows between the highlighted option and the wanted one, at most (one menu). */
const MENU_MAX_ROWS = 12

export function isRule(row: string): boolean {
  return RULE.test(row.trim())
}

/**
 * True when a row reading exactly one of `glyphs` (trimmed) sits between two horizontal rules,
 * with any number of further prompt rows (a multi-line input box) before the closing rule.
 */
export function promptBetweenRules(rows: readonly string[], glyphs: readonly string[]): boolean {
  for (let i = 1; i < rows.length - 1; i++) {
    if (!glyphs.includes(rows[i]!.trim()) || !isRule(rows[i - 1]!)) continue
    if (isRule(rows[i + 1]!)) return true
  }
  return false
}

/** Index of the first row containing `label`, or -1. */
function rowOf(rows: readonly string[], label: string): number {
  return rows.findIndex((r) => r.includes(label))
}

/**
 * One step towards the option reading `label`: Enter when it is highlighted, else the arrows
 * (one per option row between the highlighted row and the wanted one) that move the highlight
 * there, WITHOUT Enter: the rule fires again once the screen shows the highlight moved (a key
 * that arrived before the menu listened is simply sent again). null: no such menu on screen.
 */
export function selectOptionKeys(screen: AnswerScreen, label: string): KeyStep[] | null {
  const rows = screen.rows
  const target = rowOf(rows, label)
  if (target === -1) return null
  if (SELECTED.test(rows[target]!)) return ['\r']
  let selected = -1
  for (let d = 1; d <= MENU_MAX_ROWS && selected === -1; d++) {
    if (target - d >= 0 && SELECTED.test(rows[target - d]!)) selected = target - d
    else if (target + d < rows.length && SELECTED.test(rows[target + d]!)) selected = target + d
  }
  if (selected === -1) return null
  const down = selected < target
  const moves = down ? countOptions(rows, selected + 1, target + 1) : countOptions(rows, target, selected)
  const keys: KeyStep[] = []
  for (let i = 0; i < moves; i++) keys.push(down ? DOWN : UP)
  return keys
}

/** Non-blank rows in [from, to): the options passed going up from `to` to `from`. */
function countOptions(rows: readonly string[], from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) if (rows[i]!.trim().length > 0) n++
  return n
}
