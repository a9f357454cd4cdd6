/**
 * `/ws?sinceSeq=N`: one bare JSON event per text frame. The live subscription is
 * taken before the replay is sent, and replayed seqs are skipped live, so nothing is lost or
 * doubled. A client that cannot keep up loses ephemeral events (`worker_stream`) first;
 * durable events are always queued for it.
 */
import type { WebSocket } from 'ws'
import type { EventBus } from '../../supervisor/observe/events.js'

/** Interval of server pings on `/ws`. */
export const WS_PING_INTERVAL_MS = 30_000

/** Bytes buffered for one `/ws` client beyond which ephemeral events are dropped for it. */
export const WS_CLIENT_HIGH_WATER_BYTES = 8 * 1024 * 1024

const openStreams = new WeakMap<EventBus, number>()

/** `/ws` connections currently open on `bus` (the `wsConnections` of `/health`). */
export function eventStreamCount(bus: EventBus): number {
  return openStreams.get(bus) ?? 0
}

export function serveEventStream(ws: WebSocket, bus: EventBus, since: number): void {
  openStreams.set(bus, eventStreamCount(bus) + 1)
  let cutoff = bus.lastSeq
  const unsubscribe = bus.subscribe((ev) => {
    if (ev.seq !== null && ev.seq <= cutoff) return
    if (ev.seq === null && ws.bufferedAmount > WS_CLIENT_HIGH_WATER_BYTES) return
    if (ws.readyState === ws.OPEN) ws.send(ev.json)
  })
  const replay = bus.replay(since)
  cutoff = replay.lastSeq
  if (replay.gap) {
    ws.send(
      JSON.stringify({ kind: 'replay_gap', requestedSinceSeq: since, oldestAvailable: replay.oldestAvailable, seq: cutoff })
    )
  }
  for (const ev of replay.events) if (ev.seq! <= cutoff) ws.send(ev.json)
  ws.ping()
  const ping = setInterval(() => {
    if (ws.readyState === ws.OPEN) ws.ping()
  }, WS_PING_INTERVAL_MS)
  ping.unref()
  ws.on('close', () => {
    openStreams.set(bus, eventStreamCount(bus) - 1)
    clearInterval(ping)
    unsubscribe()
  })
  ws.on('error', () => ws.terminate())
}
