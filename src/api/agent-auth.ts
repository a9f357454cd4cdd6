/**
 * Agent-token auth for `/api/agent/*` (docs/api-agents.md): `X-Agent-Token: <token>`, else
 * `Authorization: Bearer <token>`. The token names the calling agent; the broker's API key is
 * not an agent token, so it opens none of these routes (and an agent token opens no admin route).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AgentTokens } from '../supervisor/agents/tokens.js'
import { BrokerError } from '../errors/index.js'
import { errorAnswer, sendJson } from './reply.js'
import { presentedCredential } from './auth.js'

export const AGENT_ROUTE_PREFIX = '/api/agent/'

const AGENT_UNAUTHORIZED_BODY = errorAnswer(new BrokerError('unauthorized', 'Missing or invalid agent token', { family: 'C' })).body

export function presentedAgentToken(req: IncomingMessage): string | null {
  return presentedCredential(req, 'x-agent-token')
}

/** The calling agent's name when the token is valid and the agent is still running, else null. */
export function authenticateAgent(req: IncomingMessage, tokens: AgentTokens, isRunning: (name: string) => boolean): string | null {
  const token = presentedAgentToken(req)
  if (token === null) return null
  const name = tokens.agentFor(token)
  return name !== null && isRunning(name) ? name : null
}

export function rejectAgent(res: ServerResponse): void {
  sendJson(res, 401, AGENT_UNAUTHORIZED_BODY)
}
