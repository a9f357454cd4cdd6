/** The headless providers, by name. A new provider is one file here plus one line below. */
import type { HeadlessProvider } from '../provider.js'
import { claudeProvider } from './claude.js'
import { opencodeProvider } from './opencode.js'

const PROVIDERS: ReadonlyMap<string, HeadlessProvider> = new Map([
  [claudeProvider.name, claudeProvider],
  [opencodeProvider.name, opencodeProvider]
])

export const HEADLESS_PROVIDER_NAMES: readonly string[] = [...PROVIDERS.keys()]

export function headlessProvider(name: string): HeadlessProvider | null {
  return PROVIDERS.get(name) ?? null
}
