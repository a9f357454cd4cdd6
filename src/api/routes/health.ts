/**
 * Supervision views: `GET /api/metrics[?agent=][&format=prometheus]`,
 * `POST /api/metrics/reset` (starts a fresh event-loop-delay window, for measurements) and
 * `GET /api/crash-insights`.
 */
import type { DeliveryStage } from '../../supervisor/delivery/tracker.js'
import type { Broker } from '../../supervisor/broker.js'
import { rssBytes } from '../../supervisor/process/proc.js'
import { apiError, sendJson } from '../reply.js'
import type { RouteContext, Routes } from '../router.js'

const STAGES: readonly DeliveryStage[] = ['accepted', 'queued', 'injecting', 'injected', 'verified', 'failed', 'dead_lettered']

export function agentMetrics(rt: Broker, name: string) {
  const entry = rt.agents.get(name)!
  const h = entry.handle
  const c = rt.lifecycle.metrics.get(name)
  const deliveries = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<DeliveryStage, number>
  for (const rec of rt.deliveries.openFor(name)) deliveries[rec.stage] = (deliveries[rec.stage] ?? 0) + 1
  deliveries.verified = c?.deliveries_verified ?? 0
  deliveries.failed = c?.deliveries_failed ?? 0
  deliveries.dead_lettered = c?.deliveries_dead_lettered ?? 0
  const alive = h.state !== 'exited'
  const memory = alive ? rssBytes(h.pid) : 0
  const cliMemory = alive ? rssBytes(h.cliPid) : 0
  return {
    name,
    pid: h.pid ?? 0,
    cli_pid: h.cliPid,
    memory_bytes: memory,
    cli_memory_bytes: cliMemory,
    rss_bytes: memory + cliMemory,
    uptime_secs: alive ? Math.floor((Date.now() - h.startedAt) / 1000) : 0,
    status: rt.lifecycle.restarting(name) ? 'restarting' : (c?.status ?? 'starting'),
    spawns: c?.spawns ?? 0,
    crashes: c?.crashes ?? 0,
    restarts: c?.restarts ?? 0,
    deliveries,
    stdin_backlog_bytes: h.stdinBacklogBytes,
    stdin_congested: h.congested,
    frames_in: h.framesIn,
    frames_refused: h.framesRefused,
    stream_bytes: h.streamBytes
  }
}

export function brokerMetrics(rt: Broker) {
  const m = rt.lifecycle.metrics
  return {
    uptime_secs: Math.floor((Date.now() - rt.startedAt) / 1000),
    total_agents_spawned: m.totalSpawned,
    total_crashes: m.totalCrashes,
    total_restarts: m.totalRestarts,
    total_permanent_deaths: m.totalPermanentDeaths,
    active_agents: rt.agents.size,
    memory_bytes: process.memoryUsage().rss,
    stdin_congestions: m.stdinCongestions,
    event_loop_delay_ms: { ...rt.loop.recent(), max_since_start: rt.loop.maxSinceStart() }
  }
}

type AgentM = ReturnType<typeof agentMetrics>
type BrokerM = ReturnType<typeof brokerMetrics>

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** Prometheus text exposition (version 0.0.4). */
export function prometheusText(agents: AgentM[], broker: BrokerM): string {
  const out: string[] = []
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, v] of samples) out.push(`${name}${labels} ${Number.isFinite(v) ? v : 0}`)
  }
  const eld = broker.event_loop_delay_ms
  metric('relay_broker_uptime_seconds', 'gauge', 'Seconds since the broker started.', [['', broker.uptime_secs]])
  metric('relay_broker_agents_spawned_total', 'counter', 'Agent children started (first starts and restarts).', [['', broker.total_agents_spawned]])
  metric('relay_broker_crashes_total', 'counter', 'Agent children that crashed.', [['', broker.total_crashes]])
  metric('relay_broker_restarts_total', 'counter', 'Agent children restarted after a crash.', [['', broker.total_restarts]])
  metric('relay_broker_permanent_deaths_total', 'counter', 'Agents given up after their restart policy ran out.', [['', broker.total_permanent_deaths]])
  metric('relay_broker_active_agents', 'gauge', 'Agents currently hosted.', [['', broker.active_agents]])
  metric('relay_broker_memory_bytes', 'gauge', 'Resident set size of the supervisor.', [['', broker.memory_bytes]])
  metric('relay_broker_event_loop_delay_seconds', 'gauge', 'Supervisor event-loop delay over the recent window.', [
    ['{quantile="0.5"}', eld.p50 / 1000],
    ['{quantile="0.99"}', eld.p99 / 1000],
    ['{quantile="1"}', eld.max / 1000]
  ])
  const per = (name: string, type: 'gauge' | 'counter', help: string, value: (a: AgentM) => number) =>
    metric(name, type, help, agents.map((a) => [`{agent="${label(a.name)}"}`, value(a)]))
  per('relay_agent_memory_bytes', 'gauge', 'Resident set size of the agent\'s pty child.', (a) => a.memory_bytes)
  per('relay_agent_cli_memory_bytes', 'gauge', 'Resident set size of the agent CLI.', (a) => a.cli_memory_bytes)
  per('relay_agent_uptime_seconds', 'gauge', 'Seconds since the agent\'s current child started.', (a) => a.uptime_secs)
  per('relay_agent_spawns_total', 'counter', 'Children started for the agent.', (a) => a.spawns)
  per('relay_agent_crashes_total', 'counter', 'Crashes of the agent\'s children.', (a) => a.crashes)
  per('relay_agent_restarts_total', 'counter', 'Restarts of the agent.', (a) => a.restarts)
  per('relay_agent_stdin_backlog_bytes', 'gauge', 'Bytes written to the child that it has not read yet.', (a) => a.stdin_backlog_bytes)
  metric(
    'relay_agent_deliveries',
    'gauge',
    'Deliveries to the agent by stage (open stages: now; terminal stages: total).',
    agents.flatMap((a) => STAGES.map((s): [string, number] => [`{agent="${label(a.name)}",state="${s}"}`, a.deliveries[s]]))
  )
  return out.join('\n') + '\n'
}

function wantsPrometheus(ctx: RouteContext): boolean {
  const format = ctx.url.searchParams.get('format')?.toLowerCase()
  if (format) return format === 'prometheus' || format === 'text'
  const accept = ctx.req.headers.accept ?? ''
  return accept.includes('text/plain') && !accept.includes('application/json')
}

function metrics(ctx: RouteContext): void {
  const rt = ctx.rt
  const only = ctx.url.searchParams.get('agent')
  let names = [...rt.agents.keys()].sort()
  if (only !== null) {
    if (!rt.agents.has(only)) throw apiError('agent_not_found', `unknown worker '${only}'`)
    names = [only]
  }
  const agents = names.map((n) => agentMetrics(rt, n))
  const broker = brokerMetrics(rt)
  if (wantsPrometheus(ctx)) {
    const text = prometheusText(agents, broker)
    ctx.res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) })
    ctx.res.end(text)
    return
  }
  sendJson(ctx.res, 200, { agents, broker })
}

export const healthRoutes: Routes = {
  'GET /api/metrics': metrics,
  'POST /api/metrics/reset': (ctx) => {
    ctx.rt.loop.reset()
    sendJson(ctx.res, 200, { reset: true })
  },
  'GET /api/crash-insights': (ctx) => sendJson(ctx.res, 200, ctx.rt.lifecycle.crashes.summary())
}
