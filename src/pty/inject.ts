/**
 * Text of an injected relay message (worker.md §3.5): the relay line, the full MCP reminder
 * and the short hint. Which prefix a CLI gets is decided by its `InjectionProfile`; the
 * generic profile injects the relay line only.
 */
import type { RelayDelivery } from '../protocol/frames.js'

export type ReminderKind = 'full' | 'short' | 'none'

/** Per-CLI choices about the injected text. */
export interface InjectionProfile {
  reminder: ReminderKind
}

export const GENERIC_INJECTION_PROFILE: InjectionProfile = Object.freeze({ reminder: 'none' })

/** What the reminders read from the worker's environment. */
export interface ReminderEnv {
  /** RELAY_AGENT_TOKEN: the agent token `broker mcp` sends as (set by the broker at spawn). */
  agentToken?: string | null | undefined
  /** RELAY_AGENT_NAME: the name the broker knows the agent by. */
  agentName?: string | null | undefined
}

export function reminderEnvFrom(env: NodeJS.ProcessEnv): ReminderEnv {
  return { agentToken: env.RELAY_AGENT_TOKEN ?? null, agentName: env.RELAY_AGENT_NAME ?? null }
}

/** The fields of a delivery the text format reads. */
export type RelayText = Pick<RelayDelivery, 'from' | 'target' | 'body' | 'event_id' | 'workspace_id' | 'workspace_alias'>

const RELAY_PREFIX = 'Relay message from '
const HUMAN_PREFIX = 'human:'
const BROKER_IDENTITY = /^broker-[A-Za-z0-9]+$/

/** `human:` stripped, provided a non-empty name remains. */
export function replyTarget(from: string): string {
  if (from.startsWith(HUMAN_PREFIX) && from.length > HUMAN_PREFIX.length) return from.slice(HUMAN_PREFIX.length)
  return from
}

export function isBrokerIdentity(name: string): boolean {
  return BROKER_IDENTITY.test(name)
}

/** Sender as shown to the agent: `human:` stripped, a broker identity shown as `Dashboard`. */
export function senderDisplayName(from: string): string {
  const name = replyTarget(from)
  return isBrokerIdentity(name) ? 'Dashboard' : name
}

/** `workspace_alias`, else `workspace_id`, whichever is non-empty after trimming; else null. */
export function workspaceLabel(d: Pick<RelayDelivery, 'workspace_id' | 'workspace_alias'>): string | null {
  const alias = d.workspace_alias?.trim()
  if (alias) return alias
  const id = d.workspace_id?.trim()
  return id ? id : null
}

/** `<workspace label> / <event_id>`, or just `<event_id>`. */
export function eventContext(d: Pick<RelayDelivery, 'event_id' | 'workspace_id' | 'workspace_alias'>): string {
  const label = workspaceLabel(d)
  return label === null ? d.event_id : `${label} / ${d.event_id}`
}

/**
 * The relay line. A body that already starts with `Relay message from ` is used as it is
 * (trailing whitespace trimmed, so it cannot press Enter early); otherwise it is wrapped.
 */
export function formatRelayLine(d: RelayText): string {
  if (d.body.startsWith(RELAY_PREFIX)) return d.body.trimEnd()
  const sender = senderDisplayName(d.from)
  const context = eventContext(d)
  if (d.target.startsWith('#')) return `${RELAY_PREFIX}${sender} in ${d.target} [${context}]: ${d.body}`
  return `${RELAY_PREFIX}${sender} [${context}]: ${d.body}`
}

const BRACKET_CHANNEL = /\[#([^\]\s]+)\]/
const IN_CHANNEL = / in #([^\s[\]:,]+)/

/** Channel suggested for channel replies, without its `#`. */
export function channelHint(target: string, relayLine: string): string {
  if (target.startsWith('#') && target.length > 1) return target.slice(1)
  const bracket = BRACKET_CHANNEL.exec(relayLine)
  if (bracket?.[1]) return bracket[1]
  const inChannel = IN_CHANNEL.exec(relayLine)
  if (inChannel?.[1]) return inChannel[1]
  return 'general'
}

/**
 * The identity lines. `broker mcp` (the relaycast tools here) takes the agent's identity from its
 * token, so there is no registration step (the original's `agent_register` does not exist here).
 */
function registrationLines(env: ReminderEnv, workerName: string): [string, string] {
  const name = env.agentName || workerName
  if (env.agentToken) {
    return [
      `The broker knows you as "${name}"; no registration is needed.`,
      '- To see the other agents, use mcp__relaycast__agent_list; to check a message you sent, use mcp__relaycast__delivery_status.'
    ]
  }
  return [
    `This worker has no agent token (RELAY_AGENT_TOKEN): the relaycast tools cannot send as "${name}".`,
    'Replies need the broker to start this agent (spawn), which gives it a token.'
  ]
}

/** The full MCP reminder followed by the relay line, joined with `\n`. */
export function fullReminder(d: RelayText, workerName: string, env: ReminderEnv): string {
  const relayLine = formatRelayLine(d)
  const sender = senderDisplayName(d.from)
  const [reg1, reg2] = registrationLines(env, workerName)
  const lines = [
    '<system-reminder>',
    'Relaycast MCP tools are available for replies.',
    reg1,
    reg2,
    `- For direct replies to "${sender}", use mcp__relaycast__message_dm_send or relaycast.message.dm.send (to: "${replyTarget(d.from)}").`,
    `- For channel replies, use mcp__relaycast__message_post or relaycast.message.post (channel: "${channelHint(d.target, relayLine)}").`,
    '- For thread replies, use mcp__relaycast__message_reply or relaycast.message.reply.',
    '- To check unread messages/reactions, use mcp__relaycast__message_inbox_check or relaycast.message.inbox.check.'
  ]
  const label = workspaceLabel(d)
  if (label !== null) lines.push(`- This message belongs to workspace "${label}"; keep replies scoped to that workspace.`)
  lines.push('</system-reminder>', relayLine)
  return lines.join('\n')
}

/** The one-line short hint followed by `\n` and the relay line. */
export function shortHint(d: RelayText, workerName: string, env: ReminderEnv): string {
  const relayLine = formatRelayLine(d)
  const unregistered = env.agentToken
    ? ''
    : ` Without an agent token (RELAY_AGENT_TOKEN) the relaycast tools cannot send as "${env.agentName || workerName}".`
  return (
    '<system-reminder>Reply via Relaycast MCP: mcp__relaycast__message_dm_send/relaycast.message.dm.send ' +
    `(to: "${replyTarget(d.from)}") or mcp__relaycast__message_post/relaycast.message.post ` +
    `(channel: "${channelHint(d.target, relayLine)}").${unregistered}</system-reminder>\n${relayLine}`
  )
}

/** What gets typed into the CLI, and the relay line verification looks for on screen. */
export interface InjectionText {
  text: string
  relayLine: string
}

export function formatInjection(d: RelayText, profile: InjectionProfile, workerName: string, env: ReminderEnv): InjectionText {
  const relayLine = formatRelayLine(d)
  switch (profile.reminder) {
    case 'full':
      return { text: fullReminder(d, workerName, env), relayLine }
    case 'short':
      return { text: shortHint(d, workerName, env), relayLine }
    default:
      return { text: relayLine, relayLine }
  }
}
