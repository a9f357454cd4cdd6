/** `broker mcp`: the relay MCP server (stdio) for the agent in whose environment it runs. */
import { parseArgs, UsageError } from './args.js'
import { McpIdentityError } from '../mcp/identity.js'

export async function runMcpCommand(argv: string[]): Promise<void> {
  const args = parseArgs(argv, [], [])
  if (args.positionals.length > 0) throw new UsageError('mcp takes no arguments (identity comes from RELAY_BROKER_URL, RELAY_AGENT_NAME, RELAY_AGENT_TOKEN)')
  const { runMcpServer } = await import('../mcp/main.js')
  try {
    await runMcpServer()
  } catch (err) {
    if (err instanceof McpIdentityError) {
      process.stderr.write(`broker mcp: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
}
