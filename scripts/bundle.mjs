// The start-up bundles (src/cli/bundle.ts), run by `npm run build` after tsc:
//   node scripts/bundle.mjs
// 1. esbuild writes dist/bundle/{init,pty,headless}.js: the compiled CLI main (dist/src/cli/main.js)
//    with that one command inlined.
// 2. A training run starts a broker and a `cat` agent, sends it one message and releases it, with
//    RELAY_BROKER_WRITE_CODE_CACHE=1: `broker init` and `broker pty` write their V8 code caches once
//    started. (No headless provider runs at build time: headless.js starts without a cache.)
// A failed training run leaves no cache and only warns: the commands then compile from source.
import { build } from 'esbuild'
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const OUT_DIR = join(ROOT, 'dist', 'bundle')
const BROKER_BIN = join(ROOT, 'bin', 'broker')
const COMMANDS = ['init', 'pty', 'headless']
/** Native addons, packages that find files beside themselves, and ones only some runs load. */
const EXTERNAL = ['node-pty', 'msgpackr-extract', 'piscina', 'bufferutil', 'utf-8-validate', '@modelcontextprotocol/*', '@nats-io/*']
/** Longest the broker, the agent and each verb of the training run may take. */
const TRAINING_STEP_TIMEOUT_MS = 60_000
/** What src/cli/bundle.ts expects around a bundle (it gives the module's five CommonJS arguments). */
const SCRIPT_OPEN = '(function (exports, require, module, __filename, __dirname) {'
const SCRIPT_CLOSE = '\n})'

/** The CLI's main imports each command's module lazily: a bundle inlines its own command only. */
const CLI_MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js')
const COMMAND_IMPORT = /^\.\/(.+)\.js$/

function onlyCommand(command) {
  return {
    name: `only-${command}`,
    setup(b) {
      b.onResolve({ filter: COMMAND_IMPORT }, (args) => {
        if (args.importer !== CLI_MAIN || args.kind !== 'dynamic-import') return undefined
        const [, name] = COMMAND_IMPORT.exec(args.path)
        // another command's module stays a module, found from dist/bundle/ (never loaded by this command)
        return name === command ? undefined : { path: `../src/cli/${name}.js`, external: true }
      })
    }
  }
}

for (const command of COMMANDS) await bundle(command)

async function bundle(command) {
  await build({
    entryPoints: [CLI_MAIN],
    outfile: join(OUT_DIR, `${command}.js`),
    plugins: [onlyCommand(command)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    // import() becomes require(): a function V8 compiled from the code cache has lost the script's
    // dynamic-import callback ("A dynamic import callback was not specified")
    supported: { 'dynamic-import': false },
    // the code finds its installation from its own URL (src/catalog/install.ts)
    define: { 'import.meta.url': '__bundle_url' },
    // the file is one function expression, compiled as is by the loader (no second copy of the source)
    banner: { js: `${SCRIPT_OPEN}"use strict";var __bundle_url = require("node:url").pathToFileURL(__filename).href;` },
    footer: { js: SCRIPT_CLOSE },
    // without comments the file is Latin-1 (esbuild escapes other characters in code): V8 keeps a
    // Latin-1 source at one byte per character, any other at two. Names stay, for stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'external',
    logLevel: 'warning'
  })
}

const run = promisify(execFile)

async function train() {
  const stateDir = mkdtempSync(join(tmpdir(), 'relay-broker-training-'))
  const env = { ...process.env, RELAY_BROKER_WRITE_CODE_CACHE: '1', RELAY_BROKER_API_KEY: `br_training_${process.pid}` }
  delete env.RELAY_BROKER_NO_BUNDLE
  delete env.RELAY_BROKER_URL
  const broker = spawn(process.execPath, [BROKER_BIN, 'init', '--name', 'code-cache-training', '--state-dir', stateDir], {
    env,
    stdio: ['ignore', 'pipe', 'ignore']
  })
  const exited = new Promise((resolve) => broker.once('exit', resolve))
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the broker did not listen')), TRAINING_STEP_TIMEOUT_MS)
      createInterface({ input: broker.stdout }).on('line', (line) => {
        if (line.includes('API listening on')) resolve(clearTimeout(timer))
      })
      broker.once('exit', (code) => reject(new Error(`the broker exited (${code}) before listening`)))
    })
    const verb = (name, ...args) => run(process.execPath, [BROKER_BIN, name, '--state-dir', stateDir, ...args], { env, timeout: TRAINING_STEP_TIMEOUT_MS })
    await verb('spawn', 'trainee', '--', 'cat')
    await verb('send', 'trainee', 'code cache training')
    await verb('release', 'trainee')
  } finally {
    broker.kill('SIGTERM')
    await exited
    rmSync(stateDir, { recursive: true, force: true })
  }
}

try {
  await train()
} catch (err) {
  process.stderr.write(`bundle: the code-cache training run failed (${err.message}); commands will compile from source\n`)
}
const caches = readdirSync(OUT_DIR).filter((f) => f.endsWith('.v8cache'))
process.stdout.write(`bundle: ${COMMANDS.map((c) => `${c}.js`).join(', ')}; code caches: ${caches.join(', ') || 'none'}\n`)
