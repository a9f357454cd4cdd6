/**
 * The names a team uses on its NATS server. Everything is prefixed by the team, so two teams
 * can share one server:
 *   streams   RELAY_<team>_DELIVER  subjects relay.<team>.deliver.<node>   (WorkQueue)
 *             RELAY_<team>_STATUS   subjects relay.<team>.status.<node>    (WorkQueue)
 *   consumers deliver_<node> on DELIVER, status_<node> on STATUS (durable, pull, explicit ack)
 *   KV        relay_<team>_agents (agent directory), relay_<team>_nodes (node heartbeats)
 *   requests  relay.<team>.fleet.<node> (spawn, release, snapshot on that node)
 */

/** Node and team ids: letters, digits, `-` and `_` (they become subject tokens and names). */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/** Turns any text into a valid id (other characters become `-`). */
export function toId(text: string): string {
  const s = text.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64)
  return s.length > 0 ? s : 'default'
}

export interface TeamNames {
  team: string
  deliverStream: string
  statusStream: string
  agentsBucket: string
  nodesBucket: string
  deliverSubject(node: string): string
  statusSubject(node: string): string
  deliverConsumer(node: string): string
  statusConsumer(node: string): string
  fleetSubject(node: string): string
}

export function teamNames(team: string): TeamNames {
  return {
    team,
    deliverStream: `RELAY_${team}_DELIVER`,
    statusStream: `RELAY_${team}_STATUS`,
    agentsBucket: `relay_${team}_agents`,
    nodesBucket: `relay_${team}_nodes`,
    deliverSubject: (node) => `relay.${team}.deliver.${node}`,
    statusSubject: (node) => `relay.${team}.status.${node}`,
    deliverConsumer: (node) => `deliver_${node}`,
    statusConsumer: (node) => `status_${node}`,
    fleetSubject: (node) => `relay.${team}.fleet.${node}`
  }
}

/** KV key of an agent: its name in base64url (any agent name, a valid key). */
export function agentKey(name: string): string {
  return `a.${Buffer.from(name, 'utf8').toString('base64url') || '-'}`
}

export function nodeKey(node: string): string {
  return `n.${node}`
}
