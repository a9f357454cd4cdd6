/** What the supervisor does with each frame a child sends (runtime.md §3.3, api.md §6). */
import type { WorkerToBrokerFrame } from '../../protocol/index.js'
import type { BrokerRuntime } from '../runtime.js'
import type { WorkerHandle } from './handle.js'

export function handleWorkerFrame(rt: BrokerRuntime, handle: WorkerHandle, frame: WorkerToBrokerFrame): void {
  const name = handle.name
  const entry = rt.agents.get(name)
  switch (frame.type) {
    case 'worker_stream':
      if (entry) {
        entry.lastActivityAt = Date.now()
        entry.idle = false
      }
      rt.emit({
        kind: 'worker_stream',
        name,
        stream: frame.payload.stream,
        chunk: frame.payload.chunk,
        ...(frame.payload.event_type ? { event_type: frame.payload.event_type } : {})
      })
      return
    case 'worker_started':
      rt.saveState()
      return
    case 'worker_ready':
      rt.log.info({ agent: name, reason: frame.payload.reason }, 'agent ready')
      if (entry) entry.blockedReason = null
      rt.emit({
        kind: 'worker_ready',
        name,
        runtime: frame.payload.runtime,
        reason: frame.payload.reason ?? null,
        provider: handle.spec.provider ?? null,
        cli: handle.spec.cli,
        model: handle.spec.model ?? null,
        sessionId: rt.lifecycle.requestOf(name)?.session_id ?? undefined,
        pid: handle.pid ?? undefined
      })
      return
    case 'delivery_queued':
    case 'delivery_injecting':
    case 'delivery_injected':
    case 'delivery_verified':
    case 'delivery_failed':
      rt.messaging.onDeliveryFrame(handle, frame)
      return
    case 'delivery_ack':
      // The child acks and verifies together on echo; the ack is reported with the verification.
      return
    case 'delivery_active':
      rt.emit({ kind: 'delivery_active', name, delivery_id: frame.payload.delivery_id, event_id: frame.payload.event_id, pattern: frame.payload.pattern })
      return
    case 'agent_idle':
      if (entry) entry.idle = true
      rt.emit({
        kind: 'agent_idle',
        name,
        idle_secs: frame.payload.idle_secs,
        since: new Date(Date.now() - frame.payload.idle_secs * 1000).toISOString()
      })
      return
    case 'agent_exit':
      // Not forwarded: its reason goes into the one exit event that follows (`agent_exited.reason`)
      // once the restart policy has decided. A 9.x client's waitForExit takes the first exit event
      // of either kind, so a code-less `agent_exit` first would hide the code, and one for a crash
      // that is restarted would report an exit that is not final (docs/decisions.md).
      return
    case 'worker_exited':
      // The process exit that follows is the one place an exit is handled.
      return
    case 'worker_error':
      rt.log.warn({ agent: name, code: frame.payload.code }, frame.payload.message)
      rt.emit({ kind: 'worker_error', name, code: frame.payload.code, message: frame.payload.message, error: frame.payload })
      return
    case 'pong':
    case 'snapshot_response':
      // Unsolicited replies (their request timed out): nothing to do.
      return
    case 'auto_answered':
    case 'worker_blocked':
      // Per-CLI profile facts (docs/clis.md): keys typed on the agent's behalf, or a login wall.
      if (frame.type === 'worker_blocked') {
        if (entry) entry.blockedReason = frame.payload.reason
        rt.log.warn({ agent: name, reason: frame.payload.reason }, 'agent blocked')
        rt.emit({ kind: 'agent_blocked', name, reason: frame.payload.reason })
      } else {
        rt.emit({ kind: 'agent_auto_answered', name, answer: frame.payload.answer, keys: frame.payload.keys, rule: frame.payload.rule })
      }
      return
    case 'continuity_command':
      rt.log.info({ agent: name, action: frame.payload.action }, 'continuity command ignored (not supported yet)')
      return
  }
}
