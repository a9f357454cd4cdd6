/** Small live line charts on canvas (event-loop delay, memory) and the broker's counters. */
import { byId, el, mb } from './dom.js'

/** Samples each chart keeps (one per metrics poll). */
const CHART_POINTS = 60

export class Sparkline {
  readonly #canvas: HTMLCanvasElement
  readonly #label: HTMLElement
  readonly #format: (v: number) => string
  readonly #values: number[] = []

  constructor(parent: HTMLElement, title: string, format: (v: number) => string) {
    this.#format = format
    this.#label = el('span', { class: 'value' }, '–')
    this.#canvas = el('canvas', { width: '240', height: '48' })
    parent.append(el('div', { class: 'chart' }, el('div', { class: 'chart-title' }, title, ' ', this.#label), this.#canvas))
  }

  push(v: number): void {
    this.#values.push(v)
    if (this.#values.length > CHART_POINTS) this.#values.shift()
    this.#label.textContent = this.#format(v)
    this.#draw()
  }

  #draw(): void {
    const c = this.#canvas.getContext('2d')
    if (!c) return
    const { width: w, height: h } = this.#canvas
    c.clearRect(0, 0, w, h)
    const n = this.#values.length
    if (n === 0) return
    const max = Math.max(...this.#values, 1e-9) * 1.15
    const y = (v: number) => h - (v / max) * (h - 4) - 2
    // x spans the samples so far (a single sample is a flat line), filling the width as they come
    const x = (i: number) => (n === 1 ? (i === 0 ? 0 : w) : (i / (n - 1)) * w)
    const points = n === 1 ? [this.#values[0]!, this.#values[0]!] : this.#values
    c.beginPath()
    c.moveTo(0, h)
    points.forEach((v, i) => c.lineTo(x(i), y(v)))
    c.lineTo(w, h)
    c.closePath()
    c.fillStyle = 'rgba(78, 161, 255, 0.15)'
    c.fill()
    c.beginPath()
    points.forEach((v, i) => (i === 0 ? c.moveTo(x(i), y(v)) : c.lineTo(x(i), y(v))))
    c.strokeStyle = '#4ea1ff'
    c.lineWidth = 1.5
    c.stroke()
  }
}

export class HealthView {
  readonly #loop: Sparkline
  readonly #memory: Sparkline
  readonly #agentsMemory: Sparkline

  constructor() {
    const box = byId('charts')
    box.replaceChildren()
    this.#loop = new Sparkline(box, 'event-loop delay p99', (v) => `${v.toFixed(1)} ms`)
    this.#memory = new Sparkline(box, 'supervisor memory', (v) => mb(v))
    this.#agentsMemory = new Sparkline(box, 'agents memory', (v) => mb(v))
  }

  update(metrics: { broker: Record<string, any>; agents: Record<string, any>[] }): void {
    const b = metrics.broker
    this.#loop.push(Number(b.event_loop_delay_ms?.p99 ?? 0))
    this.#memory.push(Number(b.memory_bytes ?? 0))
    this.#agentsMemory.push(metrics.agents.reduce((sum, a) => sum + Number(a.rss_bytes ?? 0), 0))
    const verified = metrics.agents.reduce((s, a) => s + Number(a.deliveries?.verified ?? 0), 0)
    const failed = metrics.agents.reduce((s, a) => s + Number(a.deliveries?.failed ?? 0), 0)
    const dead = metrics.agents.reduce((s, a) => s + Number(a.deliveries?.dead_lettered ?? 0), 0)
    const counters: [string, unknown][] = [
      ['agents', b.active_agents],
      ['spawned', b.total_agents_spawned],
      ['crashes', b.total_crashes],
      ['restarts', b.total_restarts],
      ['verified', verified],
      ['failed', failed],
      ['dead letters', dead]
    ]
    byId('counters').replaceChildren(...counters.map(([k, v]) => el('div', { class: 'counter' }, el('span', { class: 'n' }, String(v ?? 0)), el('span', {}, k))))
  }
}
