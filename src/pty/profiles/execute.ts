/** The EXECUTE permission dialog shared by opencode and droid (docs/clis.md): "always allow". */
import { AUTO_ANSWER_DELAY_MS, AUTO_ANSWER_KEY_GAP_MS, DIALOG_ANSWER_COOLDOWN_MS } from '../ready/auto-answer.js'
import type { AutoAnswerRule } from '../ready/auto-answer.js'
import { hasAny } from './match.js'

export function executeDialogRule(cli: string): AutoAnswerRule {
  return {
    id: `${cli}.execute`,
    answer: 'Yes, and always allow',
    match: (s) => s.text.includes('EXECUTE') && s.text.includes('impact:') && hasAny(s.text, 'Yes, allow', 'Yes, and always allow'),
    delayMs: AUTO_ANSWER_DELAY_MS,
    keys: ['\x1b[B', { pauseMs: AUTO_ANSWER_KEY_GAP_MS }, '\r'],
    limits: { cooldownMs: DIALOG_ANSWER_COOLDOWN_MS }
  }
}
