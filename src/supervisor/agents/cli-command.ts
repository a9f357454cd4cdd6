/** Turning a spawn request's `cli` string into an executable and arguments. */
import { resolve } from 'node:path'
import { resolveCli } from '../../catalog/path.js'
import { CliParseError } from '../../errors/index.js'
export { CliParseError } from '../../errors/index.js'

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

/**
 * Absolute path of an executable, found the way the `broker pty` child will look for it (a name
 * with '/' is taken relative to `cwd`, any other is searched in PATH); null when there is none.
 */
export function resolveExecutable(command: string, cwd: string, pathEnv = process.env.PATH ?? ''): string | null {
  const found = resolveCli(command, { ...process.env, PATH: pathEnv }, cwd)
  return found === null ? null : resolve(cwd, found)
}
