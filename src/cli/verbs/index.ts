/** The API verbs (status, spawn, send, release, logs, attach, ui): each in its own module, loaded on use. */
const VERBS: Record<string, () => Promise<(argv: string[]) => Promise<void>>> = {
  status: async () => (await import('./status.js')).runStatusCommand,
  spawn: async () => (await import('./spawn.js')).runSpawnCommand,
  send: async () => (await import('./send.js')).runSendCommand,
  release: async () => (await import('./release.js')).runReleaseCommand,
  logs: async () => (await import('./logs.js')).runLogsCommand,
  attach: async () => (await import('./attach.js')).runAttachCommand,
  ui: async () => (await import('./ui.js')).runUiCommand
}

export async function runVerbCommand(verb: string, argv: string[]): Promise<void> {
  const load = VERBS[verb]
  if (!load) throw new Error(`unknown verb ${verb}`)
  await (await load())(argv)
}
