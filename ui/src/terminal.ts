/**
 * The terminal panel: one xterm per selected agent. It draws the agent's ansi snapshot, then its
 * live output from `/ws`. View (default) never types and keeps the agent's size. Drive is an
 * explicit toggle: it fits the terminal to the panel, resizes the agent's PTY to match, and sends
 * every key through the agent's input stream.
 */
import { Terminal } from './vendor/xterm.mjs'
import { FitAddon } from './vendor/addon-fit.mjs'
import { errorText, type Api, type Role } from './api.js'
import { byId } from './dom.js'

function bytesOf(base64: string): Uint8Array {
  const bin = atob(base64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

export class TerminalView {
  readonly #api: Api
  readonly #role: Role
  #term: Terminal | null = null
  #fit: FitAddon | null = null
  #name: string | null = null
  #drawn = false
  #input: WebSocket | null = null
  #typing: { dispose(): void } | null = null

  constructor(api: Api, role: Role) {
    this.#api = api
    this.#role = role
    const toggle = byId<HTMLInputElement>('drive-toggle')
    toggle.disabled = role !== 'admin'
    toggle.onchange = () => void this.#setDrive(toggle.checked)
    window.addEventListener('resize', () => {
      if (this.#input) void this.#fitAndResize()
    })
  }

  get current(): string | null {
    return this.#name
  }

  async show(name: string): Promise<void> {
    this.#stopDriving()
    byId<HTMLInputElement>('drive-toggle').checked = false
    this.#term?.dispose()
    this.#name = name
    this.#drawn = false
    byId('term-title').textContent = name
    const box = byId('term')
    box.replaceChildren()
    const term = new Terminal({ fontSize: 13, scrollback: 2000, cursorBlink: false, disableStdin: false, convertEol: false })
    const fit = new FitAddon()
    term.loadAddon(fit)
    term.open(box)
    this.#term = term
    this.#fit = fit
    const snap = await this.#api.get(`/api/spawned/${encodeURIComponent(name)}/snapshot?format=ansi`)
    if (this.#name !== name) return
    if (!snap.ok) {
      term.write(`\r\n[${errorText(snap)}]\r\n`)
      return
    }
    term.resize(Math.max(2, snap.body.cols), Math.max(2, snap.body.rows))
    term.write(bytesOf(String(snap.body.screen)))
    this.#drawn = true // later chunks are newer than the snapshot
    byId('term-size').textContent = `${snap.body.cols}×${snap.body.rows}`
  }

  /** A `worker_stream` chunk of some agent. */
  onStream(name: string, chunk: string): void {
    if (name === this.#name && this.#drawn) this.#term?.write(chunk)
  }

  async #fitAndResize(): Promise<void> {
    if (!this.#term || !this.#fit || !this.#name) return
    this.#fit.fit()
    const { rows, cols } = this.#term
    byId('term-size').textContent = `${cols}×${rows}`
    await this.#api.call('POST', `/api/resize/${encodeURIComponent(this.#name)}`, { rows, cols })
  }

  async #setDrive(on: boolean): Promise<void> {
    const note = byId('term-note')
    if (!on) {
      this.#stopDriving()
      note.textContent = 'view: nothing you type reaches the agent'
      return
    }
    if (this.#role !== 'admin' || !this.#term || !this.#name) return
    const name = this.#name
    const ws = this.#api.socket(`/api/input/${encodeURIComponent(name)}/stream`)
    this.#input = ws
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as { type?: string; message?: string }
      if (msg.type === 'pty_input_ready') {
        note.textContent = `drive: typing into ${name}`
        document.body.dataset.drive = name
      }
      if (msg.type === 'pty_input_error') note.textContent = `input refused: ${msg.message}`
    }
    ws.onclose = () => {
      if (this.#input === ws) {
        this.#stopDriving()
        byId<HTMLInputElement>('drive-toggle').checked = false
      }
    }
    this.#typing = this.#term.onData((data: string) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data)
    })
    await this.#fitAndResize()
    this.#term.focus()
  }

  #stopDriving(): void {
    this.#typing?.dispose()
    this.#typing = null
    const ws = this.#input
    this.#input = null
    ws?.close()
    delete document.body.dataset.drive
  }
}
