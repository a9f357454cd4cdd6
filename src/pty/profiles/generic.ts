/** Any terminal program: the generic readiness rule, never busy, nothing auto-answered, one typed line per message (LINE_SUBMIT). */
import { GENERIC_INJECTION_PROFILE } from '../inject/inject.js'
import { LINE_SUBMIT } from '../inject/submit.js'
import { genericReadinessRule } from '../ready/readiness.js'
import type { CliProfile } from './types.js'
import { CLI_CATALOG } from '../../catalog/clis.js'

export const genericProfile: CliProfile = Object.freeze<CliProfile>({
  name: 'generic',
  facts: CLI_CATALOG.generic,
  readiness: genericReadinessRule(),
  injection: GENERIC_INJECTION_PROFILE,
  isBusy: () => false,
  bracketedPaste: false,
  submit: LINE_SUBMIT,
  autoAnswers: []
})
