/**
 * `broker headless`: hosts one headless provider session and speaks the frame protocol with the
 * supervisor over stdin/stdout (frames only on stdout; logs on stderr).
 */
import { HEADLESS_PROVIDER_NAMES } from '../catalog/clis.js'
import { protectStdout } from '../child/stdout.js'
import { headlessProvider } from './providers/index.js'
import { HeadlessWorker } from './worker.js'

export class UnknownProviderError extends Error {
  readonly code = 'unsupported_provider'
  constructor(name: string) {
    super(`provider '${name}' does not support headless transport (supported: ${HEADLESS_PROVIDER_NAMES.join(', ')})`)
    this.name = 'UnknownProviderError'
  }
}

export function runHeadlessWorker(o: { provider: string; bin: string | null; args: string[]; agentName: string | null }): void {
  const provider = headlessProvider(o.provider)
  if (!provider) throw new UnknownProviderError(o.provider)
  protectStdout()
  new HeadlessWorker({ provider, bin: o.bin ?? provider.name, args: o.args, agentName: o.agentName }).start()
}
