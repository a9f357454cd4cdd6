/**
 * The relay MCP server for agents (`broker mcp`, stdio). Its tools talk to the broker's agent
 * API as the agent (identity from its environment). Server name `relaycast` and the tool names
 * are those the injected reminder names (`mcp__relaycast__message_dm_send`…), so an agent told
 * "reply with message_dm_send" finds that tool here.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import * as z from 'zod'
import { BROKER_VERSION } from '../protocol/constants.js'
import { AgentApiError, type AgentClient } from './agent-client.js'
import { MCP_SERVER_NAME } from './wiring.js'

function ok(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value as Record<string, unknown> }
}

function fail(err: unknown): CallToolResult {
  const e = err instanceof AgentApiError ? { code: err.code, status: err.status, message: err.message } : { code: 'internal_error', message: String((err as Error)?.message ?? err) }
  return { isError: true, content: [{ type: 'text', text: `${e.code}: ${e.message}` }], structuredContent: { error: e } }
}

async function run(fn: () => Promise<unknown>): Promise<CallToolResult> {
  try {
    return ok(await fn())
  } catch (err) {
    return fail(err)
  }
}

const text = z.string().min(1).describe('the message text')
const mode = z.enum(['wait', 'steer']).optional().describe("'wait' (default): typed when the recipient is idle; 'steer': interrupts it")

/** What `broker mcp` learned about its agent at start (GET /api/agent/self), when it could. */
export interface AgentSelf {
  exit_after_task: boolean
  result_schema: unknown
}

function submitResultDescription(self: AgentSelf | null): string {
  const base =
    'Submit your structured result to whoever spawned you (final defaults to true; pass final:false for an interim result). The broker checks it against the requested schema and answers with what is wrong if it does not match.'
  const schema = self?.result_schema != null ? ` The result (data) must match this JSON Schema: ${JSON.stringify(self.result_schema)}` : ''
  const ends = self?.exit_after_task ? ' A final result ends your session (your task is done).' : ''
  return base + schema + ends
}

export function createRelayMcpServer(client: AgentClient, self: AgentSelf | null = null): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, version: BROKER_VERSION },
    { instructions: `You are agent "${client.name}" on a local agent relay. Use these tools to message other agents; every send returns delivery ids you can check with delivery_status.` }
  )

  server.registerTool(
    'message_dm_send',
    {
      description: 'Send a direct message to another agent. Returns the event id and one delivery id per recipient.',
      inputSchema: { to: z.string().min(1).describe('the recipient agent name'), text, mode }
    },
    ({ to, text, mode }) =>
      run(() => {
        const name = to.replace(/^@/, '')
        if (name.startsWith('#')) throw new AgentApiError('invalid_request', 400, 'a direct message goes to an agent; use message_post for a #channel')
        return client.send({ to: name, text, mode })
      })
  )

  server.registerTool(
    'message_post',
    {
      description: 'Post a message to a channel (every member but you receives it).',
      inputSchema: { channel: z.string().min(1).describe('channel name, with or without #'), text, mode }
    },
    ({ channel, text, mode }) => run(() => client.send({ to: `#${channel.replace(/^#/, '')}`, text, mode }))
  )

  server.registerTool(
    'message_reply',
    {
      description: 'Reply in a thread: to an agent or a #channel, keeping the thread id of the message you answer.',
      inputSchema: {
        thread_id: z.string().min(1).describe('the thread to reply in (a message\'s thread_id, or its event_id to start one)'),
        to: z.string().min(1).describe('agent name or #channel'),
        text,
        mode
      }
    },
    ({ thread_id, to, text, mode }) => run(() => client.send({ to: to.replace(/^@/, ''), text, thread_id, mode }))
  )

  server.registerTool(
    'message_inbox_check',
    {
      description: 'Read messages sent to you (direct and through your channels), oldest first. Pass the previous cursor as since to get only new ones.',
      inputSchema: {
        since: z.number().int().nonnegative().optional().describe('only messages after this cursor'),
        limit: z.number().int().positive().max(1000).optional()
      }
    },
    ({ since, limit }) => run(() => client.inbox(since, limit))
  )

  server.registerTool(
    'message_search',
    {
      description:
        'Search what was said: messages you sent, received, or that were posted to your channels, newest first. ' +
        'Every term of q must occur in the text (case-insensitive; "quoted phrase" is one term).',
      inputSchema: {
        q: z.string().optional().describe('words that must all occur in the message text'),
        from: z.string().optional().describe('only messages from this agent'),
        to: z.string().optional().describe('only direct messages to this agent'),
        channel: z.string().optional().describe('only posts to this channel (with or without #)'),
        limit: z.number().int().positive().max(500).optional().describe('at most this many (default 50)')
      }
    },
    (args) => run(() => client.search(args))
  )

  server.registerTool(
    'agent_list',
    { description: 'List the running agents and their channels.', inputSchema: {} },
    () => run(() => client.agents())
  )

  server.registerTool(
    'delivery_status',
    {
      description: 'Status of a delivery you sent: its stage (queued, injected, verified, failed…) and history.',
      inputSchema: { delivery_id: z.string().min(1) }
    },
    ({ delivery_id }) => run(() => client.delivery(delivery_id))
  )

  server.registerTool(
    'submit_result',
    {
      description: submitResultDescription(self),
      inputSchema: {
        data: z.unknown().describe('the result (any JSON value; must match the result schema when one was given)'),
        final: z.boolean().optional().describe('true (default): this is the result; false: an interim one'),
        metadata: z.unknown().optional().describe('optional extra information about the result')
      }
    },
    ({ data, final, metadata }) => run(() => client.result({ data, final, ...(metadata !== undefined ? { metadata } : {}) }))
  )

  server.registerTool(
    'task_done',
    {
      description: 'Say that the task you were spawned for is finished: the broker ends your session cleanly. Only for task agents.',
      inputSchema: { summary: z.string().optional().describe('one line on what was done') }
    },
    ({ summary }) => run(() => client.done(summary))
  )

  return server
}
