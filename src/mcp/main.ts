/** `broker mcp`: the relay MCP server on stdio for the agent whose environment it runs in. */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { AgentClient } from './agent-client.js'
import { resolveIdentity } from './identity.js'
import { createRelayMcpServer } from './server.js'

export async function runMcpServer(): Promise<void> {
  // stdout is the MCP channel: nothing else may be written to it.
  const toStderr = console.error.bind(console)
  console.log = toStderr
  console.info = toStderr
  console.debug = toStderr
  const identity = resolveIdentity()
  const client = new AgentClient(identity)
  // The result schema goes into submit_result's description; without the broker the tools still work later.
  const self = await client.self().catch(() => null)
  const server = createRelayMcpServer(client, self)
  const transport = new StdioServerTransport()
  transport.onclose = () => process.exit(0)
  process.stdin.on('end', () => process.exit(0))
  await server.connect(transport)
}
