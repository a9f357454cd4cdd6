/**
 * Claude Code (`claude`, `claude:*`). Recorded: 2.1.197 (test/fixtures/screens/claude-*).
 * Ready: the welcome banner (`Welcome back` / `Welcome to `) and a bare `❯`/`>` on the cursor
 * row (rejects menus such as `❯ 1. Yes, I trust this folder`). Busy: `esc to interrupt`.
 * Blocked: no connection to Anthropic, the login-method picker, the "use this API key?" question.
 */
import {
  AUTO_ANSWER_DELAY_MS,
  BYPASS_CONFIRM_COOLDOWN_MS,
  BYPASS_CONFIRM_DELAY_MS,
  BYPASS_CONFIRM_MAX_SENDS,
  BYPASS_CONFIRM_MENU_GAP_MS,
  PROFILE_READY_QUIET_MS
} from '../../protocol/constants.js'
import type { AnswerScreen, AutoAnswerRule } from '../auto-answer.js'
import type { CliProfile } from '../profile.js'
import { screenReadinessRule } from '../readiness.js'
import { hasAll, hasAny, joined, lowerOf } from './match.js'

const DOWN = '\x1b[B'

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
  limits: { cooldownMs: BYPASS_CONFIRM_COOLDOWN_MS, maxSends: BYPASS_CONFIRM_MAX_SENDS }
}

const bypassConfirmYesNo: AutoAnswerRule = {
  id: 'claude.bypass_permissions_yes',
  answer: 'yes (bypass permissions mode)',
  match: (s) => bypassDialog(s) && !bypassMenu(s),
  delayMs: BYPASS_CONFIRM_DELAY_MS,
  keys: ['y\n'],
  limits: { cooldownMs: BYPASS_CONFIRM_COOLDOWN_MS, maxSends: BYPASS_CONFIRM_MAX_SENDS }
}

const folderTrust: AutoAnswerRule = {
  id: 'claude.folder_trust',
  answer: 'Yes, I trust this folder',
  match: (s) => hasAll(s.lower, 'trust', 'folder') && hasAll(s.lower, 'yes', 'trust', 'no,', 'exit'),
  delayMs: AUTO_ANSWER_DELAY_MS,
  keys: ['\r'],
  limits: { once: true }
}

const WELCOME = ['Welcome back', 'Welcome to ']

function blocked(rows: readonly string[]): string | null {
  const text = joined(rows)
  if (text.includes('Unable to connect to Anthropic services')) {
    const detail = rows.find((r) => r.includes('Failed to connect to'))?.trim()
    return `cannot reach Anthropic: Unable to connect to Anthropic services${detail ? ` (${detail})` : ''}`
  }
  if (text.includes('Select login method')) return 'login required: claude shows "Select login method"'
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
  readiness: screenReadinessRule({
    name: 'claude',
    quietMs: PROFILE_READY_QUIET_MS,
    ready: (rows, cursorRow) => {
      const row = cursorRow.trim()
      return (row === '❯' || row === '>') && hasAny(joined(rows), ...WELCOME)
    },
    blocked
  }),
  injection: Object.freeze({ reminder: 'full' }),
  isBusy: (view) => lowerOf(view.visibleRows()).includes('esc to interrupt'),
  bracketedPaste: true,
  bypassArgs: (args: readonly string[]) => (args.some((a) => a.includes('dangerously-skip-permissions')) ? [] : ['--dangerously-skip-permissions']),
  mcp: 'claude',
  autoAnswers: [bypassConfirmMenu, bypassConfirmYesNo, folderTrust]
})
