/**
 * `broker headless`: hosts one headless provider session and speaks the frame protocol with the
 * supervisor over stdin/stdout (frames only on stdout; logs on stderr).
 */
import { UnknownProviderError } from '../errors/index.js'
export { UnknownProviderError }
import { HEADLESS_PROVIDER_NAMES } from '../catalog/clis.js'
import { protectStdout } from '../child/stdout.js'
import { headlessProvider } from './providers/index.js'
import { HeadlessWorker } from './worker.js'


export function runHeadlessWorker(o: { provider: string; bin: string | null; args: string[]; agentName: string | null }): void {
  const provider = headlessProvider(o.provider)
  if (!provider) throw new UnknownProviderError(o.provider, HEADLESS_PROVIDER_NAMES)
  protectStdout()
  new HeadlessWorker({ provider, bin: o.bin ?? provider.name, args: o.args, agentName: o.agentName }).start()
}
