/** The one synthesized local workspace of a Relaycast-free broker. */
export const WORKSPACE_ID = 'local'

export const MEMBERSHIPS = [{ workspace_id: WORKSPACE_ID, is_default: true }] as const
