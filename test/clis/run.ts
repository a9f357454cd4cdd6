/**
 * `npm run test:clis`: the real agent CLIs from npm, driven through the broker against fake model
 * servers on 127.0.0.1 (test/clis/fake-models.ts). Not part of `npm test` (large downloads, slow).
 *
 *   npm run test:clis [-- --only claude,codex] [--cache DIR] [--json FILE]
 *
 * Installs the pinned releases (setups.ts) into a cache outside the repo
 * ($RELAY_CLIS_CACHE, else $XDG_CACHE_HOME/relay-broker/clis, else ~/.cache/relay-broker/clis),
 * starts one broker, and per CLI checks (checks.ts): ready from the prompt, a DM verified and
 * received once by the model, busy hold, an MCP tool call → verified DM to another agent, a
 * 3-line and a 3000-character message, 3 agents started together with a DM each, the login wall
 * → blocked, the untrusted folder (bypass flag and relay tools still there), release leaves
 * nothing; then the headless provider for the CLIs that have one (headless.ts).
 * Prints a table per CLI and version; exits 1 when a check of a CLI named in --require failed.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { TestBroker } from '../e2e/harness.js'
import { FakeModels } from './fake-models.js'
import { PINS, type CliPin } from './setups.js'
import { runCli, type CheckResult } from './checks.js'
import { runHeadless } from './headless.js'
import { CLI_CATALOG } from '../../src/catalog/clis.js'

const LEASE_RENEW_MS = 30_000

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

const cache = arg('--cache') ?? process.env.RELAY_CLIS_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'relay-broker', 'clis')
const only = (arg('--only') ?? PINS.map((p) => p.name).join(',')).split(',')
const required = (arg('--require') ?? PINS.map((p) => p.name).join(',')).split(',')

function installedVersion(pin: CliPin): string | null {
  const p = join(cache, 'node_modules', pin.pkg, 'package.json')
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version : null
}

function install(pins: readonly CliPin[]): void {
  const missing = pins.filter((p) => installedVersion(p) !== p.version)
  if (missing.length === 0) return
  mkdirSync(cache, { recursive: true })
  const specs = missing.map((p) => `${p.pkg}@${p.version}`)
  process.stderr.write(`installing ${specs.join(' ')} into ${cache}\n`)
  execFileSync('npm', ['install', '--prefix', cache, '--no-audit', '--no-fund', '--no-save', ...specs], { stdio: ['ignore', 'inherit', 'inherit'] })
}

function table(pin: CliPin, results: CheckResult[]): string {
  const rows = results.map((r) => `| ${r.check} | ${r.ok === null ? 'n/a' : r.ok ? 'pass' : '**FAIL**'} | ${r.detail.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`)
  return [`### ${pin.name} ${installedVersion(pin) ?? pin.version}`, '', '| check | result | detail |', '|---|---|---|', ...rows, ''].join('\n')
}

const pins = PINS.filter((p) => only.includes(p.name))
install(pins)
const models = await new FakeModels().start()
const broker = await new TestBroker({ env: { RELAY_LOG_LEVEL: 'info' } }).ready()
process.stderr.write(`broker state (logs/<agent>.log): ${broker.stateDir}\n`)
void broker.exited.then(({ code, signal }) => process.stderr.write(`broker exited (${code ?? signal}); its stderr ends:\n${broker.stderr.slice(-3000)}\n`))
const events = broker.events()
await events.opened
// The suite is the broker's owner: it renews the owner lease like any owner would.
const renew = setInterval(() => void broker.api('POST', '/api/session/renew').catch(() => {}), LEASE_RENEW_MS)
let failed = false
const out: string[] = []
const json: Record<string, CheckResult[]> = {}
try {
  for (const pin of pins) {
    const bin = join(cache, 'node_modules', '.bin', pin.bin)
    process.stderr.write(`\n== ${pin.name} ${installedVersion(pin)}\n`)
    const results = await runCli(pin, bin, { broker, events, models })
    // The CLIs with a headless provider are checked that way too (docs/clis.md).
    if (CLI_CATALOG[pin.name].headless) results.push(...(await runHeadless(pin, bin, { broker, events, models })))
    json[pin.name] = results
    const t = table(pin, results)
    out.push(t)
    process.stdout.write(`${t}\n`)
    if (required.includes(pin.name) && results.some((r) => r.ok === false)) failed = true
  }
} finally {
  clearInterval(renew)
  events.close()
  await broker.stop()
  await models.stop()
}
const jsonOut = arg('--json')
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ at: new Date().toISOString(), results: json, tables: out }, null, 2))
process.stdout.write(failed ? 'test:clis: FAILED\n' : 'test:clis: ok\n')
process.exit(failed ? 1 : 0)
