/** Any terminal program: the generic readiness rule, never busy, nothing auto-answered. */
import { GENERIC_INJECTION_PROFILE } from '../inject/inject.js'
import { genericReadinessRule } from '../ready/readiness.js'
import type { CliProfile } from '../profile.js'
import { NO_BYPASS } from './types.js'

export const genericProfile: CliProfile = Object.freeze<CliProfile>({
  name: 'generic',
  readiness: genericReadinessRule(),
  injection: GENERIC_INJECTION_PROFILE,
  isBusy: () => false,
  bracketedPaste: false,
  bypassArgs: NO_BYPASS,
  mcp: null,
  autoAnswers: []
})
