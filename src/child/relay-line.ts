/**
 * The relay line (docs/delivery.md, "What is typed"): `Relay message from <sender>[ in #channel] [<context>]: <body>`,
 * shared by the PTY and headless children. Every field goes through the terminal encoder, and the
 * header cannot be forged: the sender shown is the one the broker put in the delivery, and a body
 * line that looks like a header (or a reminder) is prefixed with `QUOTED_LINE_PREFIX`
 * (docs/decisions.md: the original typed a body starting with the prefix as it was).
 */
import type { RelayDelivery } from '../protocol/frames.js'
import { nameProblem, senderSchema, targetSchema, threadIdSchema, workspaceLabelSchema } from '../protocol/names.js'
import { terminalField, terminalLines } from './terminal-text.js'

/** The fields of a delivery the text format reads. */
export type RelayText = Pick<RelayDelivery, 'from' | 'target' | 'body' | 'event_id' | 'workspace_id' | 'workspace_alias'>

export const RELAY_PREFIX = 'Relay message from '
/** Put before a body line that would otherwise read as a header or a reminder. */
export const QUOTED_LINE_PREFIX = '[quoted] '
/** Body lines that could pass for text the broker wrote (after leading blanks, any case). */
const FORGEABLE_LINE = /^\s*(relay message from\b|<\/?system-reminder\b)/i

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

/** The body's lines, encoded, with header-like lines quoted; joined with `\n`. */
export function relayBody(body: string): string {
  return terminalLines(body.trimEnd())
    .map((line) => (FORGEABLE_LINE.test(line) ? QUOTED_LINE_PREFIX + line : line))
    .join('\n')
}

/**
 * The relay line. The header is built from the delivery's `from`, `target` and ids only, each
 * field encoded as one line; the body keeps its line breaks as `\n` (how they are typed is the
 * encoder's `terminalInput`'s choice).
 */
export function formatRelayLine(d: RelayText): string {
  const sender = terminalField(senderDisplayName(d.from))
  const context = terminalField(eventContext(d))
  const body = relayBody(d.body)
  if (d.target.startsWith('#')) return `${RELAY_PREFIX}${sender} in ${terminalField(d.target)} [${context}]: ${body}`
  return `${RELAY_PREFIX}${sender} [${context}]: ${body}`
}

/**
 * The names of a delivery checked again in the child, with the API's schemas, before anything is
 * typed: the first problem, or null. (The API refuses these with a 400; this catches any other way in.)
 */
export function relayNameProblem(d: Pick<RelayDelivery, 'from' | 'target' | 'thread_id' | 'workspace_id' | 'workspace_alias'>): string | null {
  const checks: [Parameters<typeof nameProblem>[0], unknown][] = [
    [senderSchema, d.from],
    [targetSchema, d.target]
  ]
  if (d.thread_id != null && d.thread_id !== '') checks.push([threadIdSchema, d.thread_id])
  if (d.workspace_id != null && d.workspace_id !== '') checks.push([workspaceLabelSchema, d.workspace_id])
  if (d.workspace_alias != null && d.workspace_alias !== '') checks.push([workspaceLabelSchema, d.workspace_alias])
  for (const [schema, value] of checks) {
    const problem = nameProblem(schema, value)
    if (problem !== null) return problem
  }
  return null
}
