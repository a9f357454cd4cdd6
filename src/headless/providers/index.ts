/**
 * The headless providers, by name. A new provider is one file here, one line below, and
 * `headless: true` on its entry in the CLI catalogue (src/catalog/clis.ts), which spawn checks.
 */
import type { HeadlessProvider } from '../provider.js'
import { claudeProvider } from './claude.js'
import { opencodeProvider } from './opencode.js'

const PROVIDERS: ReadonlyMap<string, HeadlessProvider> = new Map([
  [claudeProvider.name, claudeProvider],
  [opencodeProvider.name, opencodeProvider]
])

export function headlessProvider(name: string): HeadlessProvider | null {
  return PROVIDERS.get(name) ?? null
}
