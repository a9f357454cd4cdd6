/**
 * Factory droid (`droid`). Not on npm: no recording; screens hand-written from its documented dialogs.
 * Generic readiness; busy on the usual interrupt hints; EXECUTE answered with "always allow".
 */
import type { CliProfile } from './types.js'
import { CLI_CATALOG } from '../../catalog/clis.js'
import { genericReadinessRule } from '../ready/readiness.js'
import { executeDialogRule } from './execute.js'
import { lowerOf } from './match.js'

export const droidProfile: CliProfile = Object.freeze<CliProfile>({
  name: 'droid',
  facts: CLI_CATALOG.droid,
  readiness: genericReadinessRule(),
  injection: Object.freeze({ reminder: 'full' }),
  isBusy: (view) => {
    const lower = lowerOf(view.visibleRows())
    return lower.includes('esc to interrupt') || lower.includes('esc to stop')
  },
  bracketedPaste: true,
  autoAnswers: [executeDialogRule('droid')]
})
