/**
 * Where this relay-broker is installed: the folder holding its `package.json`, found by walking up
 * from the running code. The answer is the same whether the code runs as `dist/src/…` modules or
 * from a start-up bundle in `dist/bundle/`, so `bin/broker`, `dist/workers/` and the web view's
 * files are found from either.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PACKAGE_NAME = 'relay-broker'

function isOurPackage(dir: string): boolean {
  const file = join(dir, 'package.json')
  if (!existsSync(file)) return false
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME
  } catch {
    return false
  }
}

/** The nearest folder at or above `from` whose package.json is relay-broker's. */
export function findInstallRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (isOurPackage(dir)) return dir
    if (dirname(dir) === dir) throw new Error(`no ${PACKAGE_NAME} package.json at or above ${from}`)
  }
}

export const INSTALL_ROOT = findInstallRoot(dirname(fileURLToPath(import.meta.url)))

/** A path inside the installation, e.g. `installPath('bin', 'broker')`. */
export function installPath(...parts: string[]): string {
  return join(INSTALL_ROOT, ...parts)
}
