/** Runs the fake model servers alone (for exploring a CLI by hand): prints the URL, logs each request. */
import { appendFileSync } from 'node:fs'
import { FakeModels } from './fake-models.js'

const log = process.env.FAKE_MODELS_LOG ?? null
const models = await new FakeModels().start()
process.stdout.write(`${models.url}\n`)
let seen = 0
setInterval(() => {
  while (seen < models.recorded.length) {
    const r = models.recorded[seen++]!
    const line = JSON.stringify({ ...r, userText: r.userText.slice(-300), tools: r.tools.length > 8 ? [...r.tools.slice(0, 3), '…', ...r.tools.filter((t) => t.includes('relay'))] : r.tools })
    if (log) appendFileSync(log, line + '\n')
  }
}, 200)
setInterval(() => {
  if (log && models.requests.length) appendFileSync(log + '.req', models.requests.splice(0).join('\n') + '\n')
}, 200)
