/**
 * The message log (each message with one stage timeline per delivery: accepted → queued →
 * injected → verified, or failed / dead_lettered with the reason), threads, dead letters with a
 * redeliver button, and the send box (an agent name or `#channel`).
 */
import { errorText, type Api, type Role } from './api.js'
import { byId, clock, el } from './dom.js'

type Ev = Record<string, any>

const STAGE_OF: Record<string, string> = {
  delivery_accepted: 'accepted',
  delivery_queued: 'queued',
  delivery_injected: 'injected',
  delivery_verified: 'verified',
  delivery_failed: 'failed',
  delivery_dead_lettered: 'dead_lettered'
}
/** Messages kept in the log (the newest). */
const MESSAGE_LOG_MAX = 200

interface Delivery {
  id: string
  name: string
  stages: { stage: string; at: number; reason: string | null }[]
}

interface Message {
  eventId: string
  from: string
  to: string
  body: string
  at: number
  deliveries: Map<string, Delivery>
}

export class MessagesView {
  readonly #api: Api
  readonly #role: Role
  readonly #messages = new Map<string, Message>()
  #renderQueued = false

  constructor(api: Api, role: Role) {
    this.#api = api
    this.#role = role
    const form = byId<HTMLFormElement>('send-form')
    for (const input of form.querySelectorAll('input, button')) (input as HTMLInputElement).disabled = role !== 'admin'
    if (role !== 'admin') byId('send-note').textContent = 'read-only observer: sending is disabled'
    form.onsubmit = (ev) => {
      ev.preventDefault()
      void this.#send()
    }
  }

  #message(eventId: string): Message {
    let m = this.#messages.get(eventId)
    if (!m) {
      m = { eventId, from: '', to: '', body: '', at: Date.now(), deliveries: new Map() }
      this.#messages.set(eventId, m)
      if (this.#messages.size > MESSAGE_LOG_MAX) this.#messages.delete(this.#messages.keys().next().value!)
    }
    return m
  }

  /** Every `/ws` event; returns true when the dead letters may have changed. */
  onEvent(ev: Ev): boolean {
    if (ev.kind === 'relay_inbound' && typeof ev.event_id === 'string') {
      const m = this.#message(ev.event_id)
      m.from = String(ev.from ?? '')
      m.to = String(ev.target ?? '')
      m.body = String(ev.body ?? '')
      this.#queueRender()
      return false
    }
    const stage = STAGE_OF[ev.kind]
    if (!stage || typeof ev.event_id !== 'string' || typeof ev.delivery_id !== 'string') return false
    const m = this.#message(ev.event_id)
    if (ev.kind === 'delivery_accepted') {
      m.from ||= String(ev.from ?? '')
      m.to ||= String(ev.to ?? '')
    }
    let d = m.deliveries.get(ev.delivery_id)
    if (!d) m.deliveries.set(ev.delivery_id, (d = { id: ev.delivery_id, name: String(ev.name ?? ''), stages: [] }))
    if (!d.stages.some((s) => s.stage === stage)) d.stages.push({ stage, at: Date.now(), reason: typeof ev.reason === 'string' ? ev.reason : null })
    this.#queueRender()
    return stage === 'dead_lettered'
  }

  #queueRender(): void {
    if (this.#renderQueued) return
    this.#renderQueued = true
    requestAnimationFrame(() => {
      this.#renderQueued = false
      this.render()
    })
  }

  render(): void {
    const list = [...this.#messages.values()].reverse()
    byId('messages').replaceChildren(
      ...list.map((m) =>
        el(
          'li',
          { class: 'message', 'data-event': m.eventId },
          el('div', { class: 'head' }, el('b', {}, m.from || '?'), ' → ', el('b', {}, m.to || '?'), el('span', { class: 'muted' }, ` ${clock(m.at)}`)),
          el('div', { class: 'body' }, m.body),
          ...[...m.deliveries.values()].map((d) =>
            el(
              'div',
              { class: 'delivery', 'data-delivery': d.id, 'data-agent': d.name },
              el('span', { class: 'to' }, d.name),
              ...d.stages.map((s, i) =>
                el('span', { class: `stage stage-${s.stage}`, title: s.reason ?? '' }, `${i > 0 ? '→ ' : ''}${s.stage}${s.reason ? `: ${s.reason}` : ''}`)
              )
            )
          )
        )
      )
    )
    byId('messages-empty').hidden = list.length > 0
  }

  async refreshThreads(): Promise<void> {
    const r = await this.#api.get('/api/threads')
    if (!r.ok) return
    byId('threads').replaceChildren(
      ...(r.body.threads as Ev[]).map((t) =>
        el('li', {}, el('b', {}, String(t.name)), el('span', { class: 'muted' }, ` ${t.unreadCount} · `), String(t.lastMessage ?? ''))
      )
    )
  }

  async refreshDeadLetters(): Promise<void> {
    const r = await this.#api.get('/api/dead-letters')
    if (!r.ok) return
    const items = r.body.dead_letters as Ev[]
    byId('dead-empty').hidden = items.length > 0
    byId('dead-letters').replaceChildren(
      ...items.map((d) =>
        el(
          'li',
          { 'data-dead': String(d.delivery_id) },
          el('b', {}, String(d.name)),
          ` from ${String(d.from)}: `,
          el('span', { class: 'muted' }, String(d.reason ?? '')),
          ' ',
          this.#role === 'admin' && !d.redelivered_as
            ? el('button', { class: 'small', onclick: () => void this.#redeliver(String(d.delivery_id)) }, 'redeliver')
            : d.redelivered_as
              ? el('span', { class: 'muted' }, `redelivered as ${String(d.redelivered_as)}`)
              : null
        )
      )
    )
  }

  async #redeliver(id: string): Promise<void> {
    const r = await this.#api.call('POST', `/api/dead-letters/${encodeURIComponent(id)}/redeliver`)
    byId('send-note').textContent = r.ok ? `redelivered as ${r.body.delivery_id}` : errorText(r)
    await this.refreshDeadLetters()
  }

  async #send(): Promise<void> {
    const to = byId<HTMLInputElement>('send-to').value.trim()
    const text = byId<HTMLInputElement>('send-text').value
    const note = byId('send-note')
    if (!to || !text.trim()) {
      note.textContent = 'recipient and text are required'
      return
    }
    const r = await this.#api.call('POST', '/api/send', { to, text })
    note.textContent = r.ok ? `sent to ${(r.body.targets as string[]).join(', ')}` : errorText(r)
    if (r.ok) byId<HTMLInputElement>('send-text').value = ''
  }
}
