/** `broker status [--json]`: the agents as a table (like `pm2 ls`), from `/api/status` and `/api/metrics`. */
import { UsageError } from '../args.js'
import { clientFrom, CONNECTION_HELP, formatBytes, formatDuration, parseVerbArgs, runVerb, type BrokerClient } from './client.js'

const HELP = `usage: broker status [--json]

The hosted agents: name, CLI, state (starting, ready, busy, blocked, restarting, exited), child pid,
CLI pid, uptime, restarts, memory (child + CLI RSS) and open deliveries.
  --json   one JSON object {broker, agents:[…]} instead of the table

${CONNECTION_HELP}`

export interface StatusRow {
  name: string
  cli: string
  runtime: string
  state: string
  blocked_reason: string | null
  pid: number | null
  cli_pid: number | null
  uptime_secs: number
  restarts: number
  crashes: number
  memory_bytes: number
  pending: number
  channels: string[]
}

type Obj = Record<string, any>

/** The state a person wants to see: blocked and restarting win over the worker's own state. */
export function displayState(agent: Obj, metrics: Obj | undefined): string {
  if (agent.blocked_reason) return 'blocked'
  if (metrics?.status === 'restarting') return 'restarting'
  if (agent.state === 'ready') return agent.current_state === 'working' ? 'busy' : 'ready'
  return String(agent.state ?? 'unknown')
}

export async function collectStatus(client: BrokerClient): Promise<{ broker: Obj; agents: StatusRow[] }> {
  const [status, metrics] = await Promise.all([client.get('/api/status'), client.get('/api/metrics')])
  const byName = new Map<string, Obj>(((metrics.body.agents as Obj[]) ?? []).map((m) => [m.name as string, m]))
  const pending = new Map<string, number>()
  for (const d of (status.body.pending_deliveries as Obj[]) ?? []) pending.set(d.worker_name, (pending.get(d.worker_name) ?? 0) + 1)
  const agents = ((status.body.agents as Obj[]) ?? []).map((a): StatusRow => {
    const m = byName.get(a.name)
    return {
      name: a.name,
      cli: a.cli,
      runtime: a.runtime,
      state: displayState(a, m),
      blocked_reason: a.blocked_reason ?? null,
      pid: a.pid ?? null,
      cli_pid: a.cli_pid ?? null,
      uptime_secs: m?.uptime_secs ?? 0,
      restarts: m?.restarts ?? 0,
      crashes: m?.crashes ?? 0,
      memory_bytes: m?.rss_bytes ?? 0,
      pending: pending.get(a.name) ?? 0,
      channels: a.channels ?? []
    }
  })
  agents.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
  return { broker: (metrics.body.broker as Obj) ?? {}, agents }
}

const COLUMNS: [string, (r: StatusRow) => string][] = [
  ['NAME', (r) => r.name],
  ['CLI', (r) => (r.cli.length > 24 ? `${r.cli.slice(0, 23)}…` : r.cli)],
  ['STATE', (r) => r.state],
  ['PID', (r) => (r.pid ? String(r.pid) : '-')],
  ['CLI PID', (r) => (r.cli_pid ? String(r.cli_pid) : '-')],
  ['UPTIME', (r) => formatDuration(r.uptime_secs)],
  ['RESTARTS', (r) => String(r.restarts)],
  ['MEM', (r) => formatBytes(r.memory_bytes)],
  ['PENDING', (r) => String(r.pending)]
]

export function renderTable(rows: readonly StatusRow[]): string {
  const cells = [COLUMNS.map(([h]) => h), ...rows.map((r) => COLUMNS.map(([, f]) => f(r)))]
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)))
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  const out = cells.map(line)
  for (const r of rows) if (r.blocked_reason) out.push(`  ${r.name} is blocked: ${r.blocked_reason}`)
  return out.join('\n') + '\n'
}

export async function runStatusCommand(argv: string[]): Promise<void> {
  await runVerb('status', HELP, argv, async () => {
    const args = parseVerbArgs(argv, [], ['json'])
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`)
    const client = clientFrom(args)
    const { broker, agents } = await collectStatus(client)
    if (args.flags.get('json') === true) {
      process.stdout.write(JSON.stringify({ broker: { url: client.url, ...broker }, agents }, null, 2) + '\n')
      return
    }
    const header = `broker ${client.url}  up ${formatDuration(broker.uptime_secs ?? 0)}  mem ${formatBytes(broker.memory_bytes ?? 0)}  agents ${agents.length}\n`
    process.stdout.write(header + (agents.length === 0 ? 'no agents\n' : renderTable(agents)))
  })
}
