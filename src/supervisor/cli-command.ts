/** Turning a spawn request's `cli` string into an executable and arguments. */
import { accessSync, constants as fsConstants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join, resolve } from 'node:path'

export class CliParseError extends Error {
  readonly code = 'invalid_cli'
  constructor(message: string) {
    super(message)
    this.name = 'CliParseError'
  }
}

/** POSIX-shell-like word splitting: quotes, backslash escapes, no expansion. */
export function splitCommand(input: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: '"' | "'" | null = null
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!
    if (quote === "'") {
      if (c === "'") quote = null
      else word += c
    } else if (quote === '"') {
      if (c === '"') quote = null
      else if (c === '\\' && i + 1 < input.length && '"\\$`'.includes(input[i + 1]!)) word += input[++i]
      else word += c
    } else if (c === "'" || c === '"') {
      quote = c
      inWord = true
    } else if (c === '\\') {
      if (i + 1 < input.length) word += input[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += c
      inWord = true
    }
  }
  if (quote) throw new CliParseError(`unterminated ${quote} quote in cli '${input}'`)
  if (inWord) words.push(word)
  if (words.length === 0) throw new CliParseError('cli is empty')
  return words
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, fsConstants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Absolute path of an executable, resolved like a shell would; null when there is none. */
export function resolveExecutable(command: string, cwd: string, pathEnv = process.env.PATH ?? ''): string | null {
  if (command.includes('/')) {
    const p = isAbsolute(command) ? command : resolve(cwd, command)
    return isExecutableFile(p) ? p : null
  }
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue
    const p = join(isAbsolute(dir) ? dir : resolve(cwd, dir), command)
    if (isExecutableFile(p)) return p
  }
  return null
}
