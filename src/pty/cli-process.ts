/**
 * The agent CLI's environment (its command is found by src/catalog/path.ts; it is stopped through
 * its process group by src/terminate/, node-pty making it a session and group leader): the inherited one, with a usable TERM and PWD set to the folder it
 * starts in (a PWD inherited from the broker would name another folder; opencode trusts it), and
 * the CLI's start environment from the catalogue (`startEnv`) where the inherited one does not
 * name the variable.
 */
export function cliEnv(base: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), startEnv: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = { ...startEnv }
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v
  if (!env.TERM || env.TERM === 'dumb') env.TERM = 'xterm-256color'
  env.PWD = cwd
  return env
}
