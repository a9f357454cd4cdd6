/** Ending processes: signals (signals.ts) and TERM → grace → KILL escalation (escalate.ts). */
export { processAlive, signalAll, signalGroup, signalNumber, signalPid } from './signals.js'
export {
  GONE_POLL_MS,
  KILL_AFTER_TERM_MS,
  terminateGroup,
  terminateProcesses,
  waitGone,
  type GroupTermination,
  type GroupTerminationOptions,
  type ProcessesTerminationOptions,
  type ProcessesTerminationResult
} from './escalate.js'
