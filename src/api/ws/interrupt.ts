/**
 * `POST /api/agents/by-name/{name}/interrupt`: the original always answers 501. We interrupt
 * for real by typing the CLI's own interrupt key: Escape for the agent TUIs (claude, codex,
 * gemini, opencode…: Escape stops the current turn, while Ctrl-C clears the prompt or quits),
 * Ctrl-C for everything else (shells, aider, REPLs), where it stops the running command.
 */
import { basename } from 'node:path'

export interface InterruptKey {
  key: 'escape' | 'ctrl_c'
  bytes: string
}

const ESCAPE_CLIS: ReadonlySet<string> = new Set(['claude', 'codex', 'gemini', 'opencode', 'droid', 'cursor-agent', 'copilot', 'qwen', 'amp'])

/** The first word of a `cli` string, without directory or extension. */
function command(cli: string): string {
  const first = cli.trim().split(/\s+/)[0] ?? ''
  return basename(first).replace(/\.(c|m)?js$/, '').toLowerCase()
}

export function interruptKeyFor(cli: string | null | undefined): InterruptKey {
  return ESCAPE_CLIS.has(command(cli ?? '')) ? { key: 'escape', bytes: '\x1b' } : { key: 'ctrl_c', bytes: '\x03' }
}
