/**
 * Replays the screen fixtures (test/fixtures/screens/: recorded from the real CLIs, or
 * hand-written) through the real screen model (@xterm/headless). Not a test file.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Screen } from '../../../src/pty/screen.js'
import type { ReadinessView } from '../../../src/pty/ready/readiness.js'

export const SCREENS = fileURLToPath(new URL('../../../../test/fixtures/screens/', import.meta.url))

export interface ScenarioMeta {
  cli: string
  version: string | null
  handwritten?: boolean
  rows: number
  cols: number
  segments: { file: string; label: string; keys_after: string | null }[]
  exited?: { exitCode: number; signal: number } | null
}

export interface ScreenState {
  label: string
  rows: string[]
  cursorRow: string
}

export function scenarioNames(): string[] {
  return readdirSync(SCREENS)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort()
}

export function loadMeta(name: string): ScenarioMeta {
  return JSON.parse(readFileSync(join(SCREENS, `${name}.json`), 'utf8')) as ScenarioMeta
}

/** Feeds the scenario's segments in order; the screen after each one. */
export async function replay(name: string): Promise<ScreenState[]> {
  const meta = loadMeta(name)
  const screen = new Screen(meta.rows, meta.cols, () => {})
  const states: ScreenState[] = []
  try {
    for (const seg of meta.segments) {
      screen.feed(readFileSync(join(SCREENS, seg.file)))
      await screen.settle()
      states.push({ label: seg.label, rows: screen.visibleRows(), cursorRow: screen.cursorRowText() })
    }
  } finally {
    screen.dispose()
  }
  return states
}

/** The screen after the segment labelled `label`. */
export async function screenAt(name: string, label?: string): Promise<ScreenState> {
  const states = await replay(name)
  const s = label === undefined ? states.at(-1) : states.find((x) => x.label === label)
  if (!s) throw new Error(`no segment '${label}' in ${name}`)
  return s
}

/** A readiness view of a settled screen: output quiet for `quietMs`, `sinceSpawnMs` after spawn. */
export function settledView(s: ScreenState, quietMs = 1_000, sinceSpawnMs = 5_000): ReadinessView {
  const now = 100_000
  return {
    nowMs: now,
    spawnedAtMs: now - sinceSpawnMs,
    firstOutputAtMs: now - sinceSpawnMs + 50,
    lastOutputAtMs: now - quietMs,
    screenCurrent: true,
    startupOutput: () => s.rows.join('\n'),
    cursorRowText: () => s.cursorRow,
    visibleRows: () => s.rows
  }
}

/** A `ScreenView` (what `isBusy` reads). */
export function viewOf(s: ScreenState): { visibleRows(): string[]; cursorRowText(): string } {
  return { visibleRows: () => s.rows, cursorRowText: () => s.cursorRow }
}
