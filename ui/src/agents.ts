/** The agents panel: a live table (state, blocked dialog, uptime, restarts, pending) with spawn and release. */
import { errorText, type Api, type Role } from './api.js'
import { byId, duration, el, mb } from './dom.js'

type Obj = Record<string, any>

export interface AgentRow {
  name: string
  cli: string
  state: string
  blocked: string | null
  pid: number | null
  uptime: number
  restarts: number
  rss: number
  pending: number
}

function stateOf(a: Obj, m: Obj | undefined): string {
  if (a.blocked_reason) return 'blocked'
  if (m?.status === 'restarting') return 'restarting'
  if (a.state === 'ready') return a.current_state === 'working' ? 'busy' : 'ready'
  return String(a.state)
}

export class AgentsView {
  readonly #api: Api
  readonly #role: Role
  readonly #onSelect: (name: string) => void
  rows: AgentRow[] = []
  selected: string | null = null
  #refreshing = false
  #again = false

  constructor(api: Api, role: Role, onSelect: (name: string) => void) {
    this.#api = api
    this.#role = role
    this.#onSelect = onSelect
    const form = byId<HTMLFormElement>('spawn-form')
    form.hidden = role !== 'admin'
    form.onsubmit = (ev) => {
      ev.preventDefault()
      void this.#spawn()
    }
  }

  /** Re-reads status and metrics; calls made while one runs are folded into one more. */
  async refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true
      return
    }
    this.#refreshing = true
    try {
      do {
        this.#again = false
        const [status, metrics] = await Promise.all([this.#api.get('/api/status'), this.#api.get('/api/metrics')])
        if (!status.ok || !metrics.ok) return
        const byName = new Map<string, Obj>((metrics.body.agents as Obj[]).map((m) => [m.name, m]))
        const pending = new Map<string, number>()
        for (const d of status.body.pending_deliveries as Obj[]) pending.set(d.worker_name, (pending.get(d.worker_name) ?? 0) + 1)
        this.rows = (status.body.agents as Obj[])
          .map((a) => {
            const m = byName.get(a.name)
            return {
              name: a.name,
              cli: a.cli,
              state: stateOf(a, m),
              blocked: a.blocked_reason ?? null,
              pid: a.pid ?? null,
              uptime: m?.uptime_secs ?? 0,
              restarts: m?.restarts ?? 0,
              rss: m?.rss_bytes ?? 0,
              pending: pending.get(a.name) ?? 0
            }
          })
          .sort((x, y) => x.name.localeCompare(y.name))
        this.render()
      } while (this.#again)
    } finally {
      this.#refreshing = false
    }
  }

  render(): void {
    const body = byId('agents-body')
    body.replaceChildren(
      ...this.rows.map((r) => {
        const release = el('button', { class: 'small danger', title: `release ${r.name}`, 'data-release': r.name, onclick: (ev) => {
          ev.stopPropagation()
          void this.#release(r.name)
        } }, 'release')
        const row = el(
          'tr',
          { class: r.name === this.selected ? 'selected' : '', 'data-agent': r.name, onclick: () => this.#onSelect(r.name) },
          el('td', { class: 'name' }, r.name),
          el('td', { class: 'cli' }, r.cli),
          el('td', {}, el('span', { class: `state state-${r.state}` }, r.state), r.blocked ? el('div', { class: 'blocked' }, r.blocked) : null),
          el('td', { class: 'num' }, duration(r.uptime)),
          el('td', { class: 'num' }, String(r.restarts)),
          el('td', { class: 'num' }, r.rss ? mb(r.rss) : '-'),
          el('td', { class: 'num' }, String(r.pending)),
          el('td', {}, this.#role === 'admin' ? release : null)
        )
        return row
      })
    )
    byId('agents-empty').hidden = this.rows.length > 0
  }

  async #spawn(): Promise<void> {
    const name = byId<HTMLInputElement>('spawn-name').value.trim()
    const words = byId<HTMLInputElement>('spawn-cli').value.trim().split(/\s+/).filter(Boolean)
    const note = byId('spawn-note')
    if (!name || words.length === 0) {
      note.textContent = 'name and command are required'
      return
    }
    note.textContent = `starting ${name}…`
    const r = await this.#api.call('POST', '/api/spawn', { name, cli: words[0], args: words.slice(1) })
    note.textContent = r.ok ? `${name}: starting (pid ${r.body.pid})` : errorText(r)
    if (r.ok) byId<HTMLInputElement>('spawn-name').value = ''
  }

  async #release(name: string): Promise<void> {
    const note = byId('spawn-note')
    note.textContent = `releasing ${name}…`
    const r = await this.#api.call('DELETE', `/api/spawned/${encodeURIComponent(name)}`)
    note.textContent = r.ok ? `${name}: released` : errorText(r)
  }
}
