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
  status      the agents as a table (states, pids, uptime, restarts, memory, pending) [--json]
  spawn       start an agent and wait until it is ready: spawn <name> -- <cli> [args]
  send        send a message and follow its delivery stages: send <to> <text>
  release     stop and remove an agent: release <name>
  logs        an agent's history (lifecycle, messages, deliveries): logs <name> [-f]
  attach      mirror an agent's terminal: attach <name> [--mode view|drive]
  ui          print the web view's URL (key in the fragment)
  (each verb: broker <verb> --help)
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
      case 'status':
      case 'spawn':
      case 'send':
      case 'release':
      case 'logs':
      case 'attach':
      case 'ui': {
        const { runVerbCommand } = await import('./verbs/index.js')
        await runVerbCommand(command, rest)
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
