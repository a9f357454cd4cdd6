/**
 * A provider process: its own process group (so its whole tree can be stopped), stdout and
 * stderr read line by line, a bounded stderr tail for error reports, ordered stdin writes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { signalGroup, signalNumber, terminateGroup } from '../terminate/index.js'
import { ProviderSpawnError } from './provider.js'

/** stderr kept from a provider process for its failure reasons. */
export const STDERR_TAIL_CHARS = 2_000

export interface ExitStatus {
  code: number | null
  signal: string | null
}

export interface ProcOptions {
  bin: string
  args: string[]
  cwd: string
  env: NodeJS.ProcessEnv
  /** stdin: a pipe for turn input, or closed. */
  stdin: 'pipe' | 'ignore'
  onStdoutLine(line: string): void
  onStderrLine(line: string): void
}

export class ProviderProcess {
  readonly child: ChildProcess
  readonly pid: number
  readonly exited: Promise<ExitStatus>
  #stderrTail = ''
  #exit: ExitStatus | null = null

  /** Throws ProviderSpawnError when the OS refuses to start it (ENOENT, EACCES). */
  static async start(o: ProcOptions): Promise<ProviderProcess> {
    const child = spawn(o.bin, o.args, { cwd: o.cwd, env: o.env, stdio: [o.stdin, 'pipe', 'pipe'], detached: true })
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve())
      child.once('error', (err) => reject(new ProviderSpawnError(`failed to spawn ${o.bin}: ${err.message}`)))
    })
    return new ProviderProcess(child, o)
  }

  private constructor(child: ChildProcess, o: ProcOptions) {
    this.child = child
    this.pid = child.pid!
    createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (l) => o.onStdoutLine(l))
    createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (l) => {
      this.#stderrTail = `${this.#stderrTail}${l}\n`.slice(-STDERR_TAIL_CHARS)
      o.onStderrLine(l)
    })
    child.stdin?.on('error', () => {
      // EPIPE: the provider is gone; its exit reports it
    })
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.#exit = { code, signal: signalNumber(signal) }
        // Whatever the provider left in its group (tool processes, MCP servers) goes with it.
        signalGroup(this.pid, 'SIGKILL')
        resolve(this.#exit)
      })
    })
  }

  get running(): boolean {
    return this.#exit === null
  }

  get stderrTail(): string {
    return this.#stderrTail.trim()
  }

  /** Writes to stdin; resolves once the data was handed to the pipe. */
  write(data: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.child.stdin
      if (!stdin || !stdin.writable) return reject(new Error('the provider\'s stdin is closed'))
      stdin.write(data, (err) => (err ? reject(err) : resolve()))
    })
  }

  /** TERM to the group (stdin closed first), KILL after `graceMs`; resolves with the exit. */
  async stop(graceMs: number): Promise<ExitStatus> {
    if (this.#exit) return this.#exit
    this.child.stdin?.end()
    const termination = terminateGroup(this.pid, { graceMs })
    const status = await this.exited
    termination.cancel()
    return status
  }
}

/** A reason line from an exit: `<name> exited with code N` (+ the stderr tail's last line). */
export function exitReason(name: string, s: ExitStatus, stderrTail: string): string {
  const how = s.code !== null ? `exited with code ${s.code}` : s.signal !== null ? `was killed by signal ${s.signal}` : 'exited without an exit code'
  const last = stderrTail.split('\n').filter((l) => l.trim()).at(-1)
  return last ? `${name} ${how}: ${last.trim()}` : `${name} ${how}`
}
