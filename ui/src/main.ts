/**
 * The web view's entry: the key from `#key=…` (or the login prompt), then everything live over
 * `/ws` — agents, terminals, messages with their stages — plus a metrics poll for the charts.
 * With no key or a refused one, the page shows the prompt and fetches no data.
 */
import { AgentsView } from './agents.js'
import { Api, keyFromHash, type Role } from './api.js'
import { HealthView } from './charts.js'
import { byId } from './dom.js'
import { MessagesView } from './messages.js'
import { TerminalView } from './terminal.js'

/** How often the charts and uptimes refresh. */
const METRICS_POLL_MS = 2000
const RECONNECT_MS = 1000
const LIFECYCLE_KINDS = new Set([
  'agent_spawned', 'worker_ready', 'agent_exit', 'agent_exited', 'agent_released', 'agent_restarting', 'agent_restarted',
  'agent_permanently_dead', 'agent_blocked', 'agent_idle', 'agent_auto_answered', 'delivery_accepted', 'delivery_verified',
  'delivery_failed', 'delivery_dead_lettered', 'agent_pending_drained'
])

let stopCurrent: (() => void) | null = null

function showLogin(message: string): void {
  document.body.dataset.view = 'login'
  byId('login-error').textContent = message
  byId<HTMLInputElement>('login-key').focus()
}

async function boot(): Promise<void> {
  stopCurrent?.()
  stopCurrent = null
  const key = keyFromHash(location.hash)
  if (!key) return showLogin('')
  const api = new Api(key)
  const who = await api.get('/api/whoami')
  if (!who.ok) return showLogin(who.status === 401 ? 'That key was refused.' : `The broker answered ${who.status}.`)
  start(api, who.body.role as Role, String(who.body.broker ?? ''))
}

function start(api: Api, role: Role, broker: string): void {
  document.body.dataset.view = 'app'
  document.body.dataset.role = role
  byId('broker-name').textContent = broker
  byId('role').textContent = role === 'admin' ? 'admin' : 'read-only observer'
  const terminal = new TerminalView(api, role)
  const agents = new AgentsView(api, role, (name) => {
    agents.selected = name
    agents.render()
    void terminal.show(name)
  })
  const messages = new MessagesView(api, role)
  const health = new HealthView()
  let stopped = false
  let ws: WebSocket | null = null
  let lastSeq = 0
  let agentsTimer: number | undefined
  const refreshAgentsSoon = () => {
    clearTimeout(agentsTimer)
    agentsTimer = window.setTimeout(() => void agents.refresh(), 100)
  }

  const connect = () => {
    if (stopped) return
    const socket = api.socket(`/ws?sinceSeq=${lastSeq}`)
    ws = socket
    socket.onopen = () => (byId('conn').dataset.state = 'live')
    socket.onmessage = (m) => {
      const ev = JSON.parse(String(m.data)) as Record<string, any>
      if (typeof ev.seq === 'number' && ev.kind !== 'replay_gap') lastSeq = Math.max(lastSeq, ev.seq)
      if (ev.kind === 'worker_stream') return terminal.onStream(String(ev.name), String(ev.chunk ?? ''))
      if (messages.onEvent(ev)) void messages.refreshDeadLetters()
      if (ev.kind === 'relay_inbound') void messages.refreshThreads()
      if (LIFECYCLE_KINDS.has(ev.kind)) refreshAgentsSoon()
      if (ev.kind === 'worker_ready' && ev.name === terminal.current) void terminal.show(ev.name)
    }
    socket.onclose = () => {
      byId('conn').dataset.state = 'down'
      if (!stopped) window.setTimeout(connect, RECONNECT_MS)
    }
  }
  connect()

  const poll = async () => {
    const r = await api.get('/api/metrics')
    if (r.ok) health.update(r.body)
    await agents.refresh()
  }
  void poll()
  const pollTimer = window.setInterval(() => void poll(), METRICS_POLL_MS)
  void messages.refreshThreads()
  void messages.refreshDeadLetters()

  stopCurrent = () => {
    stopped = true
    clearInterval(pollTimer)
    ws?.close()
  }
}

byId<HTMLFormElement>('login-form').onsubmit = (ev) => {
  ev.preventDefault()
  const key = byId<HTMLInputElement>('login-key').value.trim()
  if (key) location.hash = `key=${encodeURIComponent(key)}`
}
byId('logout').onclick = () => {
  stopCurrent?.()
  history.replaceState(null, '', location.pathname)
  document.body.dataset.view = 'login'
}
window.addEventListener('hashchange', () => void boot())
void boot()
