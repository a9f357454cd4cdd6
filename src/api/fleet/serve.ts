/**
 * Fleet operations another node of the team asks of this one (spawn, release, snapshot): the same
 * checks and answers as the local routes, returned as {status, body} for the hub to send back.
 */
import type { FleetCall, FleetReply } from '../../hub/types.js'
import { BrokerError } from '../../errors/index.js'
import type { Broker } from '../../supervisor/broker.js'
import { WorkerRequestError } from '../../supervisor/worker/handle.js'
import { apiError, errorAnswer } from '../reply.js'
import { parseFormat } from '../routes/pty.js'
import { parseSpawn } from '../schemas.js'

async function run(rt: Broker, call: FleetCall): Promise<FleetReply> {
  const node = rt.hub.node
  switch (call.op) {
    case 'spawn': {
      const req = parseSpawn(call.body)
      const handle = await rt.spawnAgent(req, 'fleet') // its record is on disk before its child starts
      return { status: 200, body: { success: true, name: handle.name, node, runtime: handle.spec.runtime, model: handle.spec.model ?? null, pid: handle.pid ?? 0 } }
    }
    case 'release': {
      const name = call.name ?? ''
      if (!rt.agents.has(name)) throw apiError('agent_not_found', `agent_not_found: no worker named '${name}' on node ${node}`)
      await rt.releaseAgent(name)
      await rt.stateWritten()
      return { status: 200, body: { success: true, name, node } }
    }
    case 'snapshot': {
      const name = call.name ?? ''
      const entry = rt.agents.get(name)
      if (!entry) throw apiError('agent_not_found', `agent_not_found: no worker named '${name}' on node ${node}`)
      if (entry.handle.spec.runtime !== 'pty') throw apiError('unsupported_runtime', `unsupported_runtime: agent '${name}' has no PTY`)
      const body = await entry.handle.request('snapshot_pty', { format: parseFormat(call.format ?? null) })
      return { status: 200, body: { ...(body as object), node } }
    }
  }
}

/** Runs a fleet call; catalogue errors become the status and `{code, message}` the local route would give (reply.ts). */
export function fleetServer(rt: Broker): (call: FleetCall) => Promise<FleetReply> {
  return async (call) => {
    try {
      return await run(rt, call)
    } catch (err) {
      if (!(err instanceof BrokerError) && !(err instanceof WorkerRequestError)) throw err
      const answer = errorAnswer(err)
      return { status: answer.status, body: { code: answer.body.code, message: answer.body.message } }
    }
  }
}
