/**
 * Google Gemini CLI (`gemini`). Recorded: 0.61.0 (test/fixtures/screens/gemini-*).
 * Ready: `Type your message or @path/to/file` and no "waiting for auth". Busy: `esc to cancel`.
 * Blocked: the authentication picker or "Waiting for auth".
 * Answers: Action Required (allow for this session), the folder-trust menus, the untrusted banner.
 */
import { AUTO_ANSWER_DELAY_MS, DIALOG_ANSWER_COOLDOWN_MS } from '../ready/auto-answer.js'
import { PROFILE_READY_QUIET_MS } from '../ready/readiness.js'
import type { AutoAnswerRule } from '../ready/auto-answer.js'
import type { CliProfile } from './types.js'
import { CLI_CATALOG } from '../../catalog/clis.js'
import { screenReadinessRule } from '../ready/readiness.js'
import { hasAny, joined, lowerOf } from './match.js'
import { TUI_SUBMIT, type SubmitProfile } from '../inject/submit.js'

/** Gemini's untrusted-folder banner is answered after this. */
export const GEMINI_UNTRUSTED_BANNER_DELAY_MS = 300

/**
 * gemini turns an Enter that arrives within ~40 ms after it handled a paste into a newline
 * (0.61.0, measured): Enter waits this long after the placeholder is drawn.
 */
export const GEMINI_PASTE_SETTLE_MS = 150
const GEMINI_SUBMIT: SubmitProfile = Object.freeze({ ...TUI_SUBMIT, pasteSettleMs: GEMINI_PASTE_SETTLE_MS })

const actionRequired: AutoAnswerRule = {
  id: 'gemini.action_required',
  answer: 'Allow for this session',
  match: (s) => s.text.includes('Action Required') && hasAny(s.text, 'Allow once', 'Allow for this session'),
  delayMs: AUTO_ANSWER_DELAY_MS,
  keys: ['2\n'],
  limits: { cooldownMs: DIALOG_ANSWER_COOLDOWN_MS }
}

const TRUST_MENU_ID = 'gemini.trust_folder'

/** `/permissions` → "Modify Trust Level", and the first-run "Do you trust the files in this folder?" (0.61). */
const trustMenu: AutoAnswerRule = {
  id: TRUST_MENU_ID,
  answer: 'Trust folder (the highlighted first option)',
  match: (s) =>
    hasAny(s.text, 'Modify Trust Level', 'Do you trust the files in this folder?') &&
    hasAny(s.text, 'Trust this folder', 'Trust parent folder', 'Trust folder ('),
  delayMs: AUTO_ANSWER_DELAY_MS,
  keys: ['\r'],
  limits: { once: true }
}

/** The variable gemini reads to trust its workspace; the broker sets it (catalogue `startEnv`) unless the agent's env does. */
const TRUST_WORKSPACE_ENV = 'GEMINI_CLI_TRUST_WORKSPACE'

/** The agent's env said not to trust the folder: the banner is the user's choice, not a dialog to answer. */
const userDistrustsFolder = (): boolean => process.env[TRUST_WORKSPACE_ENV] === 'false'

const untrustedBanner: AutoAnswerRule = {
  id: 'gemini.untrusted_banner',
  answer: 'open /permissions to trust the folder',
  match: (s) => !userDistrustsFolder() && s.text.includes('folder is untrusted') && s.text.includes('/permissions'),
  delayMs: GEMINI_UNTRUSTED_BANNER_DELAY_MS,
  keys: ['/permissions\n'],
  limits: { once: true },
  rearms: [TRUST_MENU_ID]
}

function blocked(rows: readonly string[]): string | null {
  const text = joined(rows)
  if (text.includes('How would you like to authenticate')) return 'login required: gemini asks how to authenticate'
  if (text.toLowerCase().includes('waiting for auth')) return 'login required: gemini is waiting for auth'
  return null
}

export const geminiProfile: CliProfile = Object.freeze<CliProfile>({
  name: 'gemini',
  facts: CLI_CATALOG.gemini,
  readiness: screenReadinessRule({
    name: 'gemini',
    quietMs: PROFILE_READY_QUIET_MS,
    ready: (rows) => joined(rows).includes('Type your message or @path/to/file'),
    blocked
  }),
  injection: Object.freeze({ reminder: 'full' }),
  isBusy: (view) => lowerOf(view.visibleRows()).includes('esc to cancel'),
  bracketedPaste: true,
  submit: GEMINI_SUBMIT,
  autoAnswers: [actionRequired, trustMenu, untrustedBanner]
})
