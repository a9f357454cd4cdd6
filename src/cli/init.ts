/**
 * `broker init [--name S | --instance-name S] [--workspace-key K] [--channels CSV] [--api-port N]
 *              [--api-bind ADDR] [--persist] [--state-dir PATH] [--keep-agents-on-sigterm]` — the 9.x
 * client's `--instance-name` and `--workspace-key` (and its AGENT_RELAY_* variables) are accepted
 * (docs/decisions.md).
 *   [--nats URL [--team T] [--node ID] [--nats-token|--nats-user/--nats-password|--nats-creds FILE] [--nats-tls-ca|-cert|-key FILE]]
 */
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { createLogger } from '../protocol/log.js'
import { createApiServer } from '../api/server.js'
import { BrokerLock, LockHeldError } from '../supervisor/process/lock.js'
import { BrokerConfigError, discoveryFiles, resolveBrokerName, resolvePaths, STATE_DIR_ENV, workspaceKeyFrom, writeConnectionFile, type BrokerPaths } from '../supervisor/state/paths.js'
import { BrokerRuntime } from '../supervisor/runtime.js'
import { readJson, removeFile } from '../supervisor/state/files.js'
import { adoptSurvivors } from '../supervisor/adoption/startup.js'
import { readPreviousAgents } from '../supervisor/agents/records.js'
import type { FleetCall, FleetReply, Hub } from '../hub/types.js'
import { RuntimeHubHost } from '../fleet/host.js'
import { flagNumber, flagString, parseArgs, UsageError } from './args.js'
import { startupCode } from './startup-code.js'

/** Env var that shortens the owner lease (tests); read once, in `cli/init.ts`. */
export const OWNER_LEASE_ENV = 'RELAY_OWNER_LEASE_MS'

/** Env var overriding both windows (tests); read by the supervisor when it starts a child. */
export const ADOPT_WINDOW_ENV = 'RELAY_ADOPT_WINDOW_MS'

/** The value flags of a team (team.ts reads them; it loads only with --nats). */
const TEAM_FLAGS = ['nats', 'team', 'node', 'nats-token', 'nats-user', 'nats-password', 'nats-creds', 'nats-tls-ca', 'nats-tls-cert', 'nats-tls-key']
/** How long a stopping broker waits to leave its team cleanly. */
const TEAM_LEAVE_TIMEOUT_MS = 2_000

function csv(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

/**
 * A bind address as a URL host: an IPv6 address in brackets (`::1` → `[::1]`). Only an IPv6
 * literal has a ':' (node's `isIPv6` would compile its large pattern on the start-up path).
 */
export function urlHost(bind: string): string {
  return bind.includes(':') ? `[${bind}]` : bind
}

export async function runInitCommand(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['name', 'instance-name', 'workspace-key', 'channels', 'api-port', 'api-bind', 'state-dir', ...TEAM_FLAGS], ['persist', 'keep-agents-on-sigterm'])
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`)
  const cwd = process.cwd()
  const persistFlag = args.flags.get('persist') === true
  const stateDirFlag = flagString(args, 'state-dir') ?? (persistFlag ? undefined : process.env[STATE_DIR_ENV]?.trim() || undefined)
  let name: string
  let paths: BrokerPaths
  try {
    name = resolveBrokerName(flagString(args, 'name') ?? flagString(args, 'instance-name') ?? process.env.AGENT_RELAY_BROKER_NAME, cwd)
    paths = resolvePaths({ name, persist: persistFlag, stateDir: stateDirFlag, cwd })
  } catch (err) {
    if (!(err instanceof BrokerConfigError)) throw err
    process.stderr.write(`[agent-relay] error: ${err.message}\n`)
    process.exit(1)
  }
  const workspaceKey = workspaceKeyFrom(flagString(args, 'workspace-key'), process.env)
  const persist = args.flags.get('persist') === true
  const portFlag = flagNumber(args, 'api-port')
  const port = portFlag ?? 0
  if (!Number.isInteger(port) || port > 65_535) throw new UsageError(`--api-port must be 0..65535`)
  const bind = flagString(args, 'api-bind') ?? '127.0.0.1'
  const channels = args.flags.has('channels') ? csv(flagString(args, 'channels')) : ['general']
  const log = createLogger('broker')

  const discovery = discoveryFiles(paths, cwd)
  const lock = new BrokerLock(paths.lock)
  try {
    if (lock.acquire(paths.root)) log.warn({ root: paths.root }, 'recovered a stale broker lock')
  } catch (err) {
    if (err instanceof LockHeldError) {
      process.stderr.write(`[agent-relay] error: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  // With --nats (or RELAY_NATS_URL) the broker joins a team; the NATS modules load only then.
  const natsUrl = flagString(args, 'nats') ?? (process.env.RELAY_NATS_URL?.trim() || undefined)
  let hub: Hub | undefined
  if (natsUrl) {
    try {
      const { joinTeam } = await import('./team.js')
      hub = await joinTeam(natsUrl, args, name, log)
    } catch (err) {
      lock.release()
      if (err instanceof UsageError) throw err
      process.stderr.write(`[agent-relay] error: ${(err as Error).message}\n`)
      process.exit(1)
    }
  }
  // Startup order: lock → load state → adopt surviving children, reap the rest → bind API →
  // print line → respawn agents not adopted → ready.
  const previous = paths.durable ? readPreviousAgents(paths.state) : []
  const previousUrl = (readJson(paths.state) as { url?: unknown } | undefined)?.url
  const leaseMs = Number(process.env[OWNER_LEASE_ENV])
  const adoptWindowMs = Number(process.env[ADOPT_WINDOW_ENV])

  const apiKey = process.env.RELAY_BROKER_API_KEY?.trim() || `br_${randomBytes(16).toString('hex')}`
  const defaultAgentChannels = csv(process.env.RELAY_DEFAULT_CHANNELS)
  const rt = new BrokerRuntime({
    name,
    paths,
    apiKey,
    channels,
    defaultAgentChannels: defaultAgentChannels.length > 0 ? defaultAgentChannels : ['general', 'engineering'],
    leaseEnabled: !persist,
    workspaceKey,
    ...(Number.isFinite(leaseMs) && leaseMs > 0 ? { leaseMs } : {}),
    ...(Number.isFinite(adoptWindowMs) && adoptWindowMs > 0 ? { adoptWindowMs } : {}),
    keepAgentsOnSigterm: args.flags.get('keep-agents-on-sigterm') === true,
    cwd,
    log,
    ...(hub ? { hub } : {})
  })
  // The fleet's call handler (API schemas) loads with the first remote call, not at start-up.
  let fleetCalls: Promise<(call: FleetCall) => Promise<FleetReply>> | undefined
  rt.hub.attach(new RuntimeHubHost(rt, async (call) => (await (fleetCalls ??= import('../api/fleet/serve.js').then((m) => m.fleetServer(rt))))(call)))
  // Deliveries of an earlier run on this state dir come back before anything else happens.
  rt.messaging.restore()
  const { adopted, reaped } = await adoptSurvivors(rt, previous, log)
  if (reaped.killed > 0) log.warn({ killed: reaped.killed, survivors: reaped.survivors.length }, 'processes of a previous run terminated')
  if (adopted.length > 0) log.info({ adopted }, 'agents of the previous run adopted')
  // Adopted CLIs were told the old URL (RELAY_BROKER_URL): listen there again when the port is free.
  const oldPort = typeof previousUrl === 'string' ? Number(/:(\d+)$/.exec(previousUrl)?.[1]) : NaN
  const preferredPort = portFlag === undefined && adopted.length > 0 && Number.isInteger(oldPort) ? oldPort : null

  const api = createApiServer(rt)
  // Handlers before the URL is printed: until one is installed, SIGTERM kills the process outright.
  const onSignal = (signal: NodeJS.Signals) => rt.dispatch({ type: 'signal', signal })
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  process.on('SIGHUP', onSignal)
  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      api.server.once('error', reject)
      api.server.listen(p, bind, () => {
        api.server.removeListener('error', reject)
        resolve()
      })
    })
  try {
    if (preferredPort !== null) {
      await listen(preferredPort).catch((err: Error) => {
        log.warn({ port: preferredPort, err: err.message }, 'the previous API port is taken: adopted agents keep the old RELAY_BROKER_URL')
        return listen(port)
      })
    } else {
      await listen(port)
    }
  } catch (err) {
    lock.release()
    process.stderr.write(`[agent-relay] error: failed to bind API on ${bind}:${port}: ${(err as Error).message}\n`)
    process.exit(1)
  }
  const actualPort = (api.server.address() as AddressInfo).port
  const url = `http://${urlHost(bind)}:${actualPort}`
  // connection.json first, so whoever reads the stdout line can also find the file.
  const connection = { url, port: actualPort, api_key: apiKey, pid: process.pid, state_dir: paths.root }
  for (const file of discovery) writeConnectionFile(file, connection, log)
  process.stdout.write(`[agent-relay] API listening on ${url}\n`)
  // stdout stays the one line the SDK parses; the web view's link (key in the fragment) goes to stderr.
  process.stderr.write(`[agent-relay] web view: ${url}/ui/#key=${encodeURIComponent(apiKey)}\n`)
  void api.warm().catch((err: unknown) => log.error({ err }, 'API routes failed to load'))
  rt.start(url)
  rt.saveState() // the URL, for the next broker that adopts these agents
  const toRespawn = previous.filter((p) => !adopted.includes(p.name))
  if (toRespawn.length > 0) {
    const { resumed, failed } = rt.lifecycle.resume(toRespawn)
    log.info({ resumed, failed }, 'agents of the previous run respawned')
  }
  // Agents of the earlier run that did not come back: their open deliveries end now.
  rt.messaging.onStartupComplete()
  // Remote work (deliveries from other nodes, fleet calls) is taken once local agents are back.
  await rt.hub.start(url)
  log.info({ url, root: paths.root, mode: paths.mode, name, startup: startupCode() }, 'broker ready')

  rt.onShutdown(() => {
    api.close()
    for (const file of discovery) removeFile(file)
    let timer: NodeJS.Timeout | undefined
    const left = Promise.race([rt.hub.close(), new Promise<void>((r) => (timer = setTimeout(r, TEAM_LEAVE_TIMEOUT_MS)))])
    void left.finally(() => {
      clearTimeout(timer)
      lock.release()
      log.info('broker stopped')
      // Let pending stdout/stderr writes flush, then leave.
      setImmediate(() => process.exit(0))
    })
  })
}
