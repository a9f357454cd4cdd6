/**
 * Claude Code (`claude`, `claude:*`). Recorded: 2.1.197 and 2.1.332 (test/fixtures/screens/claude-*).
 * Ready: a bare `❯`/`>` on the cursor row, inside the prompt box (a horizontal rule above and
 * below: 2.1.332) or under the welcome banner (2.1.197); never while a dialog is up. Busy:
 * `esc to interrupt`. Blocked: no connection to Anthropic, the login-method picker, the "use this
 * API key?" question. Menus are answered by the label of the option (the order changed between
 * releases: 2.1.332 lists `No, exit` first).
 */
import { AUTO_ANSWER_DELAY_MS } from '../ready/auto-answer.js'
import { PROFILE_READY_QUIET_MS } from '../ready/readiness.js'
import type { AnswerScreen, AutoAnswerRule } from '../ready/auto-answer.js'
import type { CliProfile } from './types.js'
import { CLI_CATALOG } from '../../catalog/clis.js'
import { dialogText, screenReadinessRule } from '../ready/readiness.js'
import { hasAll, hasAny, joined, lowerOf } from './match.js'
import { promptBetweenRules, selectOptionKeys } from './menu.js'
import { TUI_SUBMIT } from '../inject/submit.js'

/**
 * Claude's bypass-permissions confirm: it needs a longer look before the first key, a gap
 * between the arrow and Enter, and a cooldown and cap on repeated sends (docs/clis.md, auto-answers).
 */
export const BYPASS_CONFIRM_DELAY_MS = 500
export const BYPASS_CONFIRM_MENU_GAP_MS = 200
export const BYPASS_CONFIRM_COOLDOWN_MS = 2_000
export const BYPASS_CONFIRM_MAX_SENDS = 5

const DOWN = '\x1b[B'

/**
 * claude's menus are answered one step at a time (move the highlight, then Enter once the screen
 * shows it on the wanted option), looking again this long after each step, retried while the
 * dialog is still up, at most this many steps per menu.
 */
export const CLAUDE_MENU_STEP_MS = 400
export const CLAUDE_MENU_MAX_STEPS = 8

function bypassDialog(s: AnswerScreen): boolean {
  const l = s.lower
  const topic = hasAll(l, 'bypass', 'permission') || l.includes('dangerously')
  const question =
    hasAny(l, '(yes/no)', '(y/n)') || hasAll(l, 'proceed', 'yes') || hasAll(l, 'accept', 'risk') || hasAll(l, 'accept', 'no,', 'exit')
  return topic && question
}

/** The selection-menu form of the bypass confirm (`❯ 1. No, exit / 2. Yes, I accept / Enter to confirm`). */
function bypassMenu(s: AnswerScreen): boolean {
  return hasAll(s.lower, 'accept', 'exit', 'enter', 'confirm')
}

const bypassConfirmMenu: AutoAnswerRule = {
  id: 'claude.bypass_permissions',
  answer: 'Yes, I accept (bypass permissions mode)',
  match: (s) => bypassDialog(s) && bypassMenu(s),
  delayMs: BYPASS_CONFIRM_DELAY_MS,
  keys: [DOWN, { pauseMs: BYPASS_CONFIRM_MENU_GAP_MS }, '\r'],
  keysFor: (s) => selectOptionKeys(s, BYPASS_ACCEPT_LABEL),
  limits: { cooldownMs: CLAUDE_MENU_STEP_MS, maxSends: CLAUDE_MENU_MAX_STEPS }
}

const bypassConfirmYesNo: AutoAnswerRule = {
  id: 'claude.bypass_permissions_yes',
  answer: 'yes (bypass permissions mode)',
  match: (s) => bypassDialog(s) && !bypassMenu(s),
  delayMs: BYPASS_CONFIRM_DELAY_MS,
  keys: ['y\n'],
  limits: { cooldownMs: BYPASS_CONFIRM_COOLDOWN_MS, maxSends: BYPASS_CONFIRM_MAX_SENDS }
}

const TRUST_LABEL = 'Yes, I trust this folder'
const BYPASS_ACCEPT_LABEL = 'Yes, I accept'

const folderTrust: AutoAnswerRule = {
  id: 'claude.folder_trust',
  answer: TRUST_LABEL,
  match: (s) => hasAll(s.lower, 'trust', 'folder') && s.text.includes(TRUST_LABEL) && hasAll(s.lower, 'no,', 'exit'),
  delayMs: AUTO_ANSWER_DELAY_MS,
  keys: ['\r'],
  keysFor: (s) => selectOptionKeys(s, TRUST_LABEL),
  limits: { cooldownMs: CLAUDE_MENU_STEP_MS, maxSends: CLAUDE_MENU_MAX_STEPS }
}

/** A selection dialog of claude's (trust, bypass confirm, API-key question…): its text, else null. */
function dialog(rows: readonly string[]): string | null {
  const text = joined(rows)
  if (hasAny(text, 'Enter to confirm', 'Do you want to use this API key?', TRUST_LABEL)) return dialogText(rows)
  return null
}

const WELCOME = ['Welcome back', 'Welcome to ']
const PROMPT_GLYPHS = ['❯', '>']
/**
 * The turn spinner (2.1.332: `✻ Actualizing…`), drawn before the status line says
 * `esc to interrupt`; the finished form (`✻ Churned for 2s · done`) has no ellipsis after the word.
 */
const SPINNER_ROW = /^\s*[\u273B\u273D\u2736\u2722\u2733·*]\s+\S+\u2026/ // ✻ ✽ ✶ ✢ ✳ …

function blocked(rows: readonly string[]): string | null {
  const text = joined(rows)
  if (text.includes('Unable to connect to Anthropic services')) {
    const detail = rows.find((r) => r.includes('Failed to connect to'))?.trim()
    return `cannot reach Anthropic: Unable to connect to Anthropic services${detail ? ` (${detail})` : ''}`
  }
  if (text.includes('Select login method')) return 'login required: claude shows "Select login method"'
  // 2.1.332 without credentials draws its prompt and says so in the footer.
  if (text.includes('Not logged in') && text.includes('/login')) return 'login required: claude says "Not logged in · run /login"'
  if (text.includes('Detected a custom API key') && text.includes('Do you want to use this API key?')) {
    return 'claude asks whether to use ANTHROPIC_API_KEY from the environment (answer it through /api/input)'
  }
  if (text.includes('cannot be used with root/sudo privileges')) {
    return '--dangerously-skip-permissions cannot be used with root/sudo privileges (set IS_SANDBOX=1 in a sandbox)'
  }
  return null
}

export const claudeProfile: CliProfile = Object.freeze<CliProfile>({
  name: 'claude',
  facts: CLI_CATALOG.claude,
  readiness: screenReadinessRule({
    name: 'claude',
    quietMs: PROFILE_READY_QUIET_MS,
    ready: (rows, cursorRow) => {
      const row = cursorRow.trim()
      return (row === '❯' || row === '>') && (promptBetweenRules(rows, PROMPT_GLYPHS) || hasAny(joined(rows), ...WELCOME))
    },
    dialog,
    blocked
  }),
  injection: Object.freeze({ reminder: 'full' }),
  isBusy: (view) => {
    const rows = view.visibleRows()
    return lowerOf(rows).includes('esc to interrupt') || rows.some((r) => SPINNER_ROW.test(r))
  },
  bracketedPaste: true,
  submit: TUI_SUBMIT,
  autoAnswers: [bypassConfirmMenu, bypassConfirmYesNo, folderTrust]
})
