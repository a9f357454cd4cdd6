/**
 * Cursor's agent CLI (`agent`, `cursor-agent`; `cursor` is taken to mean it). Not on npm: no
 * recording; screens hand-written. Generic readiness; `--force` and `--approve-mcps` added;
 * answers "MCP Server Approval Required" with `a` (approve all) and "Workspace Trust Required"
 * with `a`; always the short MCP hint (docs/clis.md).
 */
import { AUTO_ANSWER_DELAY_MS } from '../ready/auto-answer.js'
import type { AutoAnswerRule } from '../ready/auto-answer.js'
import type { CliProfile } from './types.js'
import { CLI_CATALOG } from '../../catalog/clis.js'
import { genericReadinessRule } from '../ready/readiness.js'
import { hasAny, lowerOf } from './match.js'

/** MCP approval whose option line never shows: answered anyway after the header stayed this long. */
export const MCP_APPROVAL_PARTIAL_MS = 5_000

const mcpHeader = (text: string): boolean => hasAny(text, 'MCP Server Approval Required', 'MCP server approval')

const mcpApproval: AutoAnswerRule = {
  id: 'cursor.mcp_approval',
  answer: 'Approve all servers',
  match: (s) => mcpHeader(s.text) && hasAny(s.text, '[a] Approve all servers', 'Approve all', '[a]'),
  partial: { match: (s) => mcpHeader(s.text), afterMs: MCP_APPROVAL_PARTIAL_MS },
  delayMs: AUTO_ANSWER_DELAY_MS,
  keys: ['a'],
  limits: { once: true }
}

const workspaceTrust: AutoAnswerRule = {
  id: 'cursor.workspace_trust',
  answer: 'Trust this workspace',
  match: (s) => s.text.includes('Workspace Trust Required') && s.text.includes('Do you trust the contents of this directory?'),
  delayMs: AUTO_ANSWER_DELAY_MS,
  keys: ['a'],
  limits: { once: true }
}

export const cursorProfile: CliProfile = Object.freeze<CliProfile>({
  name: 'cursor',
  facts: CLI_CATALOG.cursor,
  readiness: genericReadinessRule(),
  injection: Object.freeze({ reminder: 'short' }),
  isBusy: (view) => {
    const lower = lowerOf(view.visibleRows())
    return lower.includes('ctrl+c to stop') || lower.includes('esc to interrupt')
  },
  bracketedPaste: true,
  autoAnswers: [mcpApproval, workspaceTrust]
})
