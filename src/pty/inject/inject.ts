/**
 * Text of an injected relay message (docs/delivery.md, "What is typed"): the relay line, the full MCP reminder
 * and the short hint. Which prefix a CLI gets is decided by its `InjectionProfile`; the
 * generic profile injects the relay line only.
 */
import { formatRelayLine, replyTarget, senderDisplayName, workspaceLabel, type RelayText } from '../../child/relay-line.js'
import { terminalField } from '../../child/terminal-text.js'

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

export { eventContext, formatRelayLine, isBrokerIdentity, replyTarget, senderDisplayName, workspaceLabel, type RelayText } from '../../child/relay-line.js'

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
  const name = terminalField(env.agentName || workerName)
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
  const sender = terminalField(senderDisplayName(d.from))
  const to = terminalField(replyTarget(d.from))
  const channel = terminalField(channelHint(d.target, relayLine))
  const [reg1, reg2] = registrationLines(env, workerName)
  const lines = [
    '<system-reminder>',
    'Relaycast MCP tools are available for replies.',
    reg1,
    reg2,
    `- For direct replies to "${sender}", use mcp__relaycast__message_dm_send or relaycast.message.dm.send (to: "${to}").`,
    `- For channel replies, use mcp__relaycast__message_post or relaycast.message.post (channel: "${channel}").`,
    '- For thread replies, use mcp__relaycast__message_reply or relaycast.message.reply.',
    '- To check unread messages/reactions, use mcp__relaycast__message_inbox_check or relaycast.message.inbox.check.'
  ]
  const label = workspaceLabel(d)
  if (label !== null) lines.push(`- This message belongs to workspace "${terminalField(label)}"; keep replies scoped to that workspace.`)
  lines.push('</system-reminder>', relayLine)
  return lines.join('\n')
}

/** The one-line short hint followed by `\n` and the relay line. */
export function shortHint(d: RelayText, workerName: string, env: ReminderEnv): string {
  const relayLine = formatRelayLine(d)
  const unregistered = env.agentToken
    ? ''
    : ` Without an agent token (RELAY_AGENT_TOKEN) the relaycast tools cannot send as "${terminalField(env.agentName || workerName)}".`
  return (
    '<system-reminder>Reply via Relaycast MCP: mcp__relaycast__message_dm_send/relaycast.message.dm.send ' +
    `(to: "${terminalField(replyTarget(d.from))}") or mcp__relaycast__message_post/relaycast.message.post ` +
    `(channel: "${terminalField(channelHint(d.target, relayLine))}").${unregistered}</system-reminder>\n${relayLine}`
  )
}

/**
 * What gets typed into the CLI, and the relay line verification looks for on screen. Every field
 * in it is already encoded (src/child/terminal-text.ts); `\n` is its only control, and how that is
 * typed (bracketed paste or ` ⏎ `) is `terminalInput`'s choice.
 */
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
