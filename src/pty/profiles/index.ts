/** Which profile a CLI gets: by the basename of its command (worker.md §3.14). */
import { basename } from 'node:path'
import type { CliProfile } from '../profile.js'
import { aiderProfile } from './aider.js'
import { claudeProfile } from './claude.js'
import { codexProfile } from './codex.js'
import { cursorProfile } from './cursor.js'
import { droidProfile } from './droid.js'
import { genericProfile } from './generic.js'
import { geminiProfile } from './gemini.js'
import { opencodeProfile } from './opencode.js'

const BY_NAME: ReadonlyMap<string, CliProfile> = new Map([
  ['claude', claudeProfile],
  ['codex', codexProfile],
  ['gemini', geminiProfile],
  ['opencode', opencodeProfile],
  ['droid', droidProfile],
  ['agent', cursorProfile],
  ['cursor-agent', cursorProfile],
  ['cursor', cursorProfile],
  ['aider', aiderProfile]
])

export const ALL_PROFILES: readonly CliProfile[] = [
  claudeProfile,
  codexProfile,
  geminiProfile,
  opencodeProfile,
  droidProfile,
  cursorProfile,
  aiderProfile,
  genericProfile
]

/**
 * The profile of a CLI given as a command (`claude`, `/usr/bin/codex`, `claude:opus`): the
 * lowercased basename of its first word, `claude:*` counting as `claude`; anything else is generic.
 */
export function profileForCommand(cli: string): CliProfile {
  const first = cli.trim().split(/\s+/, 1)[0] ?? ''
  let name = basename(first).toLowerCase()
  if (name.startsWith('claude:')) name = 'claude'
  return BY_NAME.get(name) ?? genericProfile
}

export { genericProfile }
