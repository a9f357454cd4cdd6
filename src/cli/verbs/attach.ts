/**
 * `broker attach <name> [--mode view|drive]`: your terminal mirrors the agent's. It draws the
 * agent's screen (the ansi snapshot), then its live output. `view` never types: keys are read only
 * for the detach key. `drive` puts your terminal in raw mode, types every key into the agent's PTY
 * through the input stream and resizes the PTY to your terminal. Detach: Ctrl-] (and Ctrl-C in view).
 */
import type WebSocket from 'ws'
import { flagString, UsageError } from '../args.js'
import { CliError, clientFrom, CONNECTION_HELP, EXIT_FAILED, eventHandler, parseVerbArgs, runVerb, type BrokerClient } from './client.js'

const HELP = `usage: broker attach <name> [--mode view|drive]

Mirrors the agent's terminal in yours: its current screen, then its live output.
  --mode view    (default) watch only: nothing you type reaches the agent
  --mode drive   raw mode: every key is typed into the agent, and its PTY is resized to your terminal
Detach with Ctrl-] (in view mode Ctrl-C too). The agent keeps running.

${CONNECTION_HELP}

exit: 0 detached or the agent ended, 4 no such agent, 3 no broker, 2 usage`

/** Ctrl-]: the detach key (telnet's escape); never typed into the agent. */
export const DETACH_BYTE = 0x1d
const CTRL_C_BYTE = 0x03

async function resizeTo(client: BrokerClient, name: string): Promise<void> {
  const { rows, columns } = process.stdout
  if (!rows || !columns) return
  await client.call('POST', `/api/resize/${encodeURIComponent(name)}`, { rows, cols: columns }).catch(() => undefined)
}

export async function runAttachCommand(argv: string[]): Promise<void> {
  await runVerb('attach', HELP, argv, async () => {
    const args = parseVerbArgs(argv, ['mode'], [])
    const [name, extra] = args.positionals
    if (!name) throw new UsageError('attach needs the agent name')
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`)
    const mode = (flagString(args, 'mode') ?? 'view').trim().toLowerCase()
    if (mode !== 'view' && mode !== 'drive') throw new UsageError(`--mode must be view or drive, got '${mode}'`)
    const client = clientFrom(args)
    const enc = encodeURIComponent(name)
    await client.get(`/api/spawned/${enc}/snapshot?format=plain`) // 404 (exit 4) before anything is drawn

    let input: WebSocket | null = null
    let drawn = false
    let ended: string | null = null
    let finish: (why: string) => void = () => undefined
    const done = new Promise<string>((resolve) => (finish = resolve))
    const onEvent = eventHandler((ev) => {
      if (ev.name !== name) return
      if (ev.kind === 'worker_stream') {
        if (drawn) process.stdout.write(String(ev.chunk ?? ''))
        return
      }
      if (ev.kind === 'agent_released' || ev.kind === 'agent_permanently_dead') finish(`${name} ${ev.kind === 'agent_released' ? 'was released' : 'is permanently dead'}`)
      else if (ev.kind === 'agent_exited') process.stderr.write(`\r\n[${name} exited with code ${String(ev.code)}]\r\n`)
    })
    const events = await client.openSocket('/ws', onEvent)
    events.once('close', () => finish('the broker closed the stream'))

    const snap = await client.get(`/api/spawned/${enc}/snapshot?format=ansi`)
    const screen = Buffer.from(String(snap.body.screen ?? ''), 'base64')
    await new Promise<void>((resolve) => process.stdout.write(screen, () => resolve()))
    drawn = true // chunks from here on are newer than the snapshot

    if (mode === 'drive') {
      input = await client.openSocket(`/api/input/${enc}/stream`, (text) => {
        const msg = JSON.parse(text) as { type?: string; message?: string }
        if (msg.type === 'pty_input_error') finish(`input refused: ${msg.message}`)
      })
      input.once('close', () => finish('the input stream closed'))
      await resizeTo(client, name)
    }
    const sizeNote = `${String(snap.body.cols)}x${String(snap.body.rows)}`
    process.stderr.write(`[attached to ${name} (${mode}, ${sizeNote}); detach: Ctrl-]]\r\n`)

    const stdin = process.stdin
    const raw = stdin.isTTY === true
    if (raw) stdin.setRawMode(true)
    const onKeys = (buf: Buffer) => {
      const cut = buf.indexOf(DETACH_BYTE)
      const keys = cut === -1 ? buf : buf.subarray(0, cut)
      if (mode === 'drive' && keys.length > 0) input?.send(keys.toString('utf8'))
      if (cut !== -1 || (mode === 'view' && raw && buf.includes(CTRL_C_BYTE))) finish('detached')
    }
    stdin.on('data', onKeys)
    const onResize = () => void resizeTo(client, name)
    if (mode === 'drive') process.stdout.on('resize', onResize)
    const onSignal = () => finish('detached')
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)

    ended = await done
    stdin.off('data', onKeys)
    if (raw) stdin.setRawMode(false)
    stdin.pause()
    process.stdout.off('resize', onResize)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    events.terminate()
    input?.terminate()
    process.stderr.write(`\r\n[${ended}]\r\n`)
    if (ended.startsWith('input refused') || ended.startsWith('the broker closed')) throw new CliError('attach_ended', ended, EXIT_FAILED)
  })
}
