/** Which profile a CLI gets: by the catalogue name of its command (src/catalog/clis.ts). */
import { cliNameOf, type CliName } from '../../catalog/clis.js'
import type { CliProfile } from './types.js'
import { aiderProfile } from './aider.js'
import { claudeProfile } from './claude.js'
import { codexProfile } from './codex.js'
import { cursorProfile } from './cursor.js'
import { droidProfile } from './droid.js'
import { genericProfile } from './generic.js'
import { geminiProfile } from './gemini.js'
import { opencodeProfile } from './opencode.js'

export type { CliProfile, ScreenView } from './types.js'

const BY_NAME: Readonly<Record<CliName, CliProfile>> = {
  claude: claudeProfile,
  codex: codexProfile,
  gemini: geminiProfile,
  opencode: opencodeProfile,
  droid: droidProfile,
  cursor: cursorProfile,
  aider: aiderProfile,
  generic: genericProfile
}

export const ALL_PROFILES: readonly CliProfile[] = Object.values(BY_NAME)

/**
 * The profile of a CLI given as a command (`claude`, `/usr/bin/codex`, `claude:opus`); anything
 * the catalogue does not know is generic.
 */
export function profileFor(cli: string): CliProfile {
  return BY_NAME[cliNameOf(cli)]
}

export { genericProfile }
