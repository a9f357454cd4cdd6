/**
 * Start-up bundles. `broker init`, `broker pty` and `broker headless` start from one file each,
 * `dist/bundle/<command>.js` (the CLI's main with that one command inlined, written by
 * `npm run build` through scripts/bundle.mjs), instead of resolving and compiling ~100 ES modules,
 * and compile it with V8's code cache (`<command>.v8cache`, written by a training run at build
 * time): Node 20 has a compile cache for scripts, not for ES modules. A missing bundle, or a
 * missing or rejected cache, only costs time: the command runs from `dist/src/` or compiles from
 * source. This module is what `bin/broker` loads first, so it imports node's own modules only.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Script } from 'node:vm'
import { recordStartupCode, type StartupCode } from './startup-code.js'

export const BUNDLED_COMMANDS = ['init', 'pty', 'headless'] as const
export type BundledCommand = (typeof BUNDLED_COMMANDS)[number]

/** Set to 1 by the build's training run: the command writes its code cache once it has started. */
export const CODE_CACHE_WRITE_ENV = 'RELAY_BROKER_WRITE_CODE_CACHE'
/** Set to 1 to run every command from `dist/src/` (debugging with the real file names). */
export const NO_BUNDLE_ENV = 'RELAY_BROKER_NO_BUNDLE'

export interface LoadedBundle {
  exports: Record<string, unknown>
  code: StartupCode
  /** Writes the code cache of everything compiled so far, atomically, next to the bundle. */
  saveCodeCache(): Promise<void>
}

interface MainModule {
  main(argv: string[]): Promise<void>
}

/** `dist/bundle/<command>.js`, beside this compiled file's `dist/src/cli/`. */
export function bundleFile(command: BundledCommand): string {
  return fileURLToPath(new URL(`../../bundle/${command}.js`, import.meta.url))
}

export function isBundledCommand(command: string | undefined): command is BundledCommand {
  return (BUNDLED_COMMANDS as readonly string[]).includes(command ?? '')
}

/**
 * Runs a bundle (one function expression given the CommonJS arguments `exports, require, module,
 * __filename, __dirname`), compiled with its code cache when V8 takes it, and returns its exports;
 * null when there is no such file. A bundle holds no `import()` (scripts/bundle.mjs turns them into
 * `require`): V8 gives functions it takes from a code cache no dynamic-import callback.
 */
export function loadBundle(file: string): LoadedBundle | null {
  if (!existsSync(file)) return null
  const cacheFile = file.replace(/\.js$/, '.v8cache')
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined
  const script = new Script(readFileSync(file, 'utf8'), { filename: file, ...(cachedData ? { cachedData } : {}) })
  const code: StartupCode = { from: 'bundle', codeCache: cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted' }
  const module = { exports: {} as Record<string, unknown> }
  const body = script.runInThisContext() as (e: unknown, r: NodeRequire, m: unknown, f: string, d: string) => void
  body.call(module.exports, module.exports, createRequire(file), module, file, dirname(file))
  recordStartupCode(code)
  return {
    exports: module.exports,
    code,
    saveCodeCache: async () => {
      const { writeFileAtomicSync } = await import('../protocol/atomic-file.js')
      writeFileAtomicSync(cacheFile, script.createCachedData(), 0o644)
    }
  }
}

/**
 * Whether `bundle` was made after `source` was compiled. `tsc` rewrites every file it emits, so a
 * `tsc` run after `npm run build` leaves the bundles older than the modules: they are then stale
 * and not used (the modules are).
 */
export function isFresh(bundle: string, source: string): boolean {
  try {
    return statSync(bundle).mtimeMs >= statSync(source).mtimeMs
  } catch {
    return false
  }
}

/** The compiled CLI main the bundles are made from. */
const CLI_MAIN = fileURLToPath(new URL('./main.js', import.meta.url))

/** The bundle for `argv[0]`, unless it is not a bundled command, bundles are switched off, not built or stale. */
export function loadCommandBundle(command: string | undefined, env: NodeJS.ProcessEnv = process.env): LoadedBundle | null {
  if (!isBundledCommand(command) || env[NO_BUNDLE_ENV] === '1') return null
  const file = bundleFile(command)
  return isFresh(file, CLI_MAIN) ? loadBundle(file) : null
}

/** `broker <argv>`: the CLI's main from the command's bundle when there is one, else from the modules. */
export async function runMain(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const bundle = loadCommandBundle(argv[0], env)
  const { main } = bundle ? (bundle.exports as unknown as MainModule) : ((await import('./main.js')) as MainModule)
  await main(argv)
  // the training run keeps what start-up compiled, for the next start
  if (bundle && env[CODE_CACHE_WRITE_ENV] === '1') await bundle.saveCodeCache()
}
