/**
 * Per-CLI behaviour of the PTY child. Today every CLI gets the generic profile; a CLI that
 * needs its own readiness rule (a welcome banner, an auth gate…) or the MCP reminder gets
 * its own entry here, and nothing else has to change.
 */
import { GENERIC_INJECTION_PROFILE, type InjectionProfile } from './inject.js'
import { genericReadinessRule, type ReadinessRule } from './readiness.js'

export interface CliProfile {
  readonly name: string
  readonly readiness: ReadinessRule
  readonly injection: InjectionProfile
}

export function genericProfile(): CliProfile {
  return { name: 'generic', readiness: genericReadinessRule(), injection: GENERIC_INJECTION_PROFILE }
}

/** The profile for a CLI (its command as given on the command line). */
export function profileFor(_cli: string): CliProfile {
  return genericProfile()
}
