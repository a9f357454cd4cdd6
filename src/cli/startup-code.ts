/**
 * How this process's code was loaded, for the "broker ready" log line: from a start-up bundle
 * (bundle.ts) or from the `dist/src/` modules, and whether V8 took the bundle's code cache.
 * One slot per process, shared by the loader and the bundle (each has its own copy of this file).
 */
export interface StartupCode {
  from: 'bundle' | 'modules'
  codeCache: 'accepted' | 'rejected' | 'none'
}

const STARTUP_SLOT = Symbol.for('relay-broker.startup-code')

export function startupCode(): StartupCode {
  return ((globalThis as Record<symbol, unknown>)[STARTUP_SLOT] as StartupCode | undefined) ?? { from: 'modules', codeCache: 'none' }
}

export function recordStartupCode(code: StartupCode): void {
  ;(globalThis as Record<symbol, unknown>)[STARTUP_SLOT] = code
}
