/** A real nats-server (JetStream on) for the fleet tests: a free loopback port, a temp store dir. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer, connect as tcpConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
  })
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

export class NatsServer {
  readonly storeDir: string
  port = 0
  proc: ChildProcess | null = null
  log = ''

  constructor(storeDir = mkdtempSync(join(tmpdir(), 'relay-nats-'))) {
    this.storeDir = storeDir
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`
  }

  /** Starts (or restarts, on the same port and store dir) and waits until it takes connections. */
  async start(): Promise<this> {
    if (this.port === 0) this.port = await freePort()
    const proc = spawn('nats-server', ['-js', '-sd', this.storeDir, '-a', '127.0.0.1', '-p', String(this.port)], { stdio: ['ignore', 'ignore', 'pipe'] })
    proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()))
    this.proc = proc
    const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${this.log}`))))
    const deadline = Date.now() + 15_000
    for (;;) {
      if (this.log.includes('Server is ready') && (await portOpen(this.port))) return this
      if (Date.now() > deadline) throw new Error(`nats-server did not start: ${this.log}`)
      await Promise.race([new Promise((r) => setTimeout(r, 50)), exited])
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    const done = new Promise((r) => proc.once('exit', r))
    proc.kill(signal)
    const timer = setTimeout(() => proc.kill('SIGKILL'), 8_000)
    await done
    clearTimeout(timer)
    this.proc = null
    this.log = ''
  }
}
