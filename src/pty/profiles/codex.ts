/**
 * OpenAI Codex CLI (`codex`). Recorded: 0.169.0 (test/fixtures/screens/codex-*).
 * Ready: the composer `› …` on the cursor row, with no MCP server still booting. Busy:
 * `esc to interrupt` (working) or `esc cancel` (waiting for startup). Blocked: the sign-in menu.
 */
import { AUTO_ANSWER_DELAY_MS, AUTO_ANSWER_KEY_GAP_MS } from '../ready/auto-answer.js'
import { PROFILE_READY_QUIET_MS } from '../ready/readiness.js'
import type { AutoAnswerRule } from '../ready/auto-answer.js'
import type { CliProfile } from './types.js'
import { CLI_CATALOG } from '../../catalog/clis.js'
import { screenReadinessRule } from '../ready/readiness.js'
import { hasAll, hasAny, joined, lowerOf } from './match.js'
import { TUI_SUBMIT } from '../inject/submit.js'

const modelUpgrade: AutoAnswerRule = {
  id: 'codex.model_upgrade',
  answer: 'Use existing model (decline the model upgrade)',
  match: (s) => {
    const l = s.lower
    const offer = hasAll(l, 'codex', 'upgrade') || hasAll(l, 'codex', 'new', 'model') || hasAll(l, 'just', 'got', 'upgrade')
    return offer && hasAll(l, 'try', 'existing')
  },
  delayMs: AUTO_ANSWER_DELAY_MS,
  keys: ['\x1b[B', { pauseMs: AUTO_ANSWER_KEY_GAP_MS }, '\r'],
  limits: { once: true }
}

/**
 * 0.171.0 draws a bare composer (`› Ask Codex…` / `? for shortcuts`) for ~1 s before it decides
 * whether to show the sign-in menu; with credentials its status line (`<model> default · <cwd>`,
 * `← for agents`) follows. A bare composer counts only after this much quiet.
 */
export const CODEX_BARE_COMPOSER_SETTLE_MS = 2_500
const STATUS_LINE = /^\s+\S.* · \/|\u2190 for agents/ // ←

function blocked(rows: readonly string[]): string | null {
  const text = joined(rows)
  if (hasAny(text, 'Sign in with ChatGPT', 'Sign in with Device Code', 'Choose how you want to use Codex')) {
    return 'login required: codex shows its sign-in menu (Sign in with ChatGPT / API key)'
  }
  return null
}

export const codexProfile: CliProfile = Object.freeze<CliProfile>({
  name: 'codex',
  facts: CLI_CATALOG.codex,
  readiness: screenReadinessRule({
    name: 'codex',
    quietMs: (rows) => (rows.some((r) => STATUS_LINE.test(r)) ? PROFILE_READY_QUIET_MS : CODEX_BARE_COMPOSER_SETTLE_MS),
    ready: (rows, cursorRow) => {
      const row = cursorRow.trim()
      if (!(row.startsWith('›') || row === 'codex>' || row === '>')) return false
      const lower = lowerOf(rows)
      return !lower.includes('booting mcp server') && !lower.includes('starting mcp server')
    },
    blocked
  }),
  injection: Object.freeze({ reminder: 'full' }),
  isBusy: (view) => {
    const lower = lowerOf(view.visibleRows())
    return lower.includes('esc to interrupt') || lower.includes('esc cancel')
  },
  bracketedPaste: true,
  submit: TUI_SUBMIT,
  autoAnswers: [modelUpgrade]
})
