/**
 * pino loggers for every process. JSON lines to stderr (or a file); when stderr is a terminal
 * and RELAY_LOG_FORMAT is not `json`, lines are rendered readably instead.
 * Level: RELAY_LOG_LEVEL (default `info`).
 */
import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'proc'])

class ReadableLines extends Writable {
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.length === 0) continue
      try {
        const rec = JSON.parse(line) as Record<string, unknown>
        const time = new Date(Number(rec.time)).toISOString().slice(11, 23)
        const extras = Object.entries(rec)
          .filter(([k]) => !OMIT.has(k))
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ')
        process.stderr.write(`${time} ${LEVEL_NAMES[Number(rec.level)] ?? rec.level} [${rec.proc}] ${rec.msg ?? ''} ${extras}\n`)
      } catch {
        process.stderr.write(line + '\n')
      }
    }
    cb()
  }
}

export function createLogger(proc: string, file?: string): Logger {
  const level = process.env.RELAY_LOG_LEVEL ?? 'info'
  const base = { proc }
  if (file) return pino({ level, base }, pino.destination({ dest: file, sync: false, mkdir: true }))
  if (process.stderr.isTTY && process.env.RELAY_LOG_FORMAT !== 'json') return pino({ level, base }, new ReadableLines())
  return pino({ level, base }, pino.destination({ fd: 2, sync: true }))
}

export type { Logger }
