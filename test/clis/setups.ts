/**
 * What a user configures once per CLI (API key, base URL; nothing else), for the real-binary
 * conformance suite. Each setup writes a fresh HOME and returns the agent's environment; the
 * `wall` variant is a fresh HOME with nothing configured (the CLI's login wall).
 * Not a test file.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const FAKE_ANTHROPIC_KEY = 'sk-ant-fake-0123456789abcdefghij'

export interface CliPin {
  name: 'claude' | 'codex' | 'gemini' | 'opencode'
  pkg: string
  version: string
  /** Executable name in the install's node_modules/.bin. */
  bin: string
  /** What the CLI shows on screen while its bypass flag is in force (none: it shows nothing). */
  bypassOnScreen?: RegExp
}

export const PINS: readonly CliPin[] = [
  { name: 'claude', pkg: '@anthropic-ai/claude-code', version: '2.1.332', bin: 'claude', bypassOnScreen: /bypass permissions on/i },
  { name: 'codex', pkg: '@openai/codex', version: '0.171.0', bin: 'codex' },
  { name: 'gemini', pkg: '@google/gemini-cli', version: '0.61.0', bin: 'gemini', bypassOnScreen: /\bYOLO\b/ },
  { name: 'opencode', pkg: 'opencode-ai', version: '1.18.33', bin: 'opencode' }
]

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, text)
}

/** Writes `home` for `cli` against the fake models at `url`; returns the agent's extra environment. */
export function configure(cli: CliPin['name'], home: string, url: string, wall: boolean): Record<string, string> {
  mkdirSync(home, { recursive: true })
  const env: Record<string, string> = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share'), XDG_CACHE_HOME: join(home, '.cache') }
  if (wall) {
    // Nothing configured: no key, no onboarding. What the environment says regardless (claude in a
    // root sandbox) stays, so the wall shown is the login one.
    if (cli === 'claude') {
      // Past the first-run screens (which need the network to api.anthropic.com), never logged in.
      write(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }))
      return { ...env, IS_SANDBOX: '1' }
    }
    return env
  }
  switch (cli) {
    case 'claude':
      // Onboarding done and the key approved once: what `claude` remembers after its first run.
      write(
        join(home, '.claude.json'),
        JSON.stringify({ hasCompletedOnboarding: true, customApiKeyResponses: { approved: [FAKE_ANTHROPIC_KEY.slice(-20)], rejected: [] } })
      )
      return { ...env, ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: FAKE_ANTHROPIC_KEY, IS_SANDBOX: '1' }
    case 'codex':
      write(
        join(home, '.codex/config.toml'),
        [
          'model = "gpt-5-fake"',
          'model_provider = "fake"',
          '[model_providers.fake]',
          'name = "fake"',
          `base_url = "${url}/v1"`,
          'env_key = "FAKE_OPENAI_API_KEY"',
          'wire_api = "responses"',
          ''
        ].join('\n')
      )
      return { ...env, FAKE_OPENAI_API_KEY: 'sk-fake-openai' }
    case 'gemini':
      write(join(home, '.gemini/settings.json'), JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }))
      return { ...env, GEMINI_API_KEY: 'fake-gemini-key', GOOGLE_GEMINI_BASE_URL: url }
    case 'opencode':
      write(
        join(home, '.config/opencode/opencode.json'),
        JSON.stringify({
          $schema: 'https://opencode.ai/config.json',
          model: 'fake/fake-model',
          provider: {
            fake: {
              npm: '@ai-sdk/openai-compatible',
              name: 'Fake',
              options: { baseURL: `${url}/v1`, apiKey: 'sk-fake' },
              models: { 'fake-model': { name: 'Fake model', tool_call: true } }
            }
          }
        })
      )
      return env
  }
}
