/**
 * aider (`aider`, a Python program: not on npm, no recording). Generic readiness (its `> `
 * prompt, or the quiet fallback); busy while it shows `Waiting for <model>`; no MCP, no
 * reminder (it has no tools to reply with), nothing auto-answered.
 */
import { GENERIC_INJECTION_PROFILE } from '../inject/inject.js'
import type { CliProfile } from './types.js'
import { CLI_CATALOG } from '../../catalog/clis.js'
import { genericReadinessRule } from '../ready/readiness.js'

export const aiderProfile: CliProfile = Object.freeze<CliProfile>({
  name: 'aider',
  facts: CLI_CATALOG.aider,
  readiness: genericReadinessRule(),
  injection: GENERIC_INJECTION_PROFILE,
  isBusy: (view) => view.visibleRows().some((r) => /\bWaiting for \S/.test(r)),
  bracketedPaste: true,
  autoAnswers: []
})
