/** `broker <command>`: dispatches to the supervisor, the children and the tools. */
import { UsageError } from './args.js'

const USAGE = `usage: broker <command> [options]

commands:
  init        run the broker (supervisor + HTTP/WS API)
  pty         (internal) host one agent CLI in a pseudo-terminal
  headless    (internal) host one headless provider session (claude, opencode)
  mcp         the relay MCP server for an agent (stdio; identity from its environment)
  mcp-args    print the flags/config that wire \`broker mcp\` into a CLI
  dump-pty    print an agent's screen: dump-pty <name> [--format plain|ansi] [--broker-url] [--api-key] [--state-dir]
  --version   print the version
`

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'init': {
        const { runInitCommand } = await import('./init.js')
        await runInitCommand(rest)
        return
      }
      case 'pty': {
        const { runPtyCommand } = await import('./pty.js')
        await runPtyCommand(rest)
        return
      }
      case 'headless': {
        const { runHeadlessCommand } = await import('./headless.js')
        await runHeadlessCommand(rest)
        return
      }
      case 'mcp': {
        const { runMcpCommand } = await import('./mcp.js')
        await runMcpCommand(rest)
        return
      }
      case 'mcp-args': {
        const { runMcpArgsCommand } = await import('./mcp-args.js')
        await runMcpArgsCommand(rest)
        return
      }
      case 'dump-pty': {
        const { runDumpPtyCommand } = await import('./dump-pty.js')
        await runDumpPtyCommand(rest)
        return
      }
      case '--version':
      case '-V': {
        const { BROKER_VERSION } = await import('../protocol/constants.js')
        process.stdout.write(`relay-broker ${BROKER_VERSION}\n`)
        return
      }
      case undefined:
      case '--help':
      case '-h':
        process.stdout.write(USAGE)
        return
      default:
        throw new UsageError(`unknown command '${command}'`)
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`broker: ${err.message}\n\n${USAGE}`)
      process.exit(2)
    }
    throw err
  }
}
