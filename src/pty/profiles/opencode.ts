/**
 * opencode (`opencode`). Recorded: 1.18.33 (test/fixtures/screens/opencode-*); it starts offline
 * with its free default model, so there is no login wall to see.
 * Ready: the empty composer (`Ask anything…`). Busy: `esc interrupt` (wrapped across rows in a
 * narrow status line, so it is matched with whitespace removed) or the `⬝■` progress bar.
 */
import { PROFILE_READY_QUIET_MS } from '../ready/readiness.js'
import type { CliProfile } from './types.js'
import { CLI_CATALOG } from '../../catalog/clis.js'
import { screenReadinessRule } from '../ready/readiness.js'
import { executeDialogRule } from './execute.js'
import { compact, joined } from './match.js'
import { TUI_SUBMIT } from '../inject/submit.js'

const PROGRESS_BAR = /^\s*[\u2B1D\u25A0]{6,}/ // ⬝ ■

export const opencodeProfile: CliProfile = Object.freeze<CliProfile>({
  name: 'opencode',
  facts: CLI_CATALOG.opencode,
  readiness: screenReadinessRule({
    name: 'opencode',
    quietMs: PROFILE_READY_QUIET_MS,
    ready: (rows) => joined(rows).includes('Ask anything')
  }),
  injection: Object.freeze({ reminder: 'full' }),
  isBusy: (view) => {
    const rows = view.visibleRows()
    const c = compact(rows).toLowerCase()
    return c.includes('escinterrupt') || c.includes('esctointerrupt') || rows.some((r) => PROGRESS_BAR.test(r))
  },
  bracketedPaste: true,
  submit: TUI_SUBMIT,
  autoAnswers: [executeDialogRule('opencode')]
})
