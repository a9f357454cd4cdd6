/**
 * Errors of the broker's clients: the CLI verbs and `broker mcp`. A client raises catalogue codes
 * of its own (`usage`, `broker_unreachable`…) and hands on the codes the broker answered with,
 * which may be codes of a newer broker: those travel as `RemoteError`s.
 */
import { BrokerError, RemoteError } from './broker-error.js'
import type { ErrorCode } from './catalogue.js'

/** A wrong command line: the CLI prints the message and the help. */
export class UsageError extends BrokerError {
  constructor(message: string) {
    super('usage', message)
  }
}

/** `broker mcp` was started without what it needs to act as its agent. */
export class McpIdentityError extends BrokerError {
  constructor(message: string) {
    super('missing_identity', message)
  }
}

/** The CLI's MCP configuration could not be written. */
export class WiringError extends BrokerError {
  declare readonly code: 'mcp_wiring_failed'
  constructor(message: string) {
    super('mcp_wiring_failed', message)
  }
}

/** Why `broker dump-pty` (and every verb, through the same look-up) found no broker to ask. */
export class DumpPtyError extends RemoteError {
  constructor(code: Extract<ErrorCode, 'broker_not_found' | 'broker_unreachable' | 'invalid_connection_file' | 'invalid_response'> | string, message: string) {
    super(code, 0, message)
  }
}

/** An agent API call failed (`status` 0 when the broker could not be reached). */
export class AgentApiError extends RemoteError {}

/**
 * A child refused a request (a `worker_error` frame answering it), did not answer in time
 * (`worker_timeout`) or was gone (`worker_disappeared`). The code is the child's; the API turns it
 * into a catalogue error (src/api/reply.ts `fromWorkerError`).
 */
export class WorkerRequestError extends RemoteError {
  constructor(code: string, message: string) {
    super(code, 0, message)
  }
}
