/** `broker ui`: prints the web view's URL, with the key in the fragment (never sent to the server in a URL). */
import { UsageError } from '../args.js'
import { clientFrom, CONNECTION_HELP, parseVerbArgs, runVerb } from './client.js'

const HELP = `usage: broker ui

Prints the URL of the broker's web view: <broker>/ui/#key=<api key>. The key is in the URL
fragment, which browsers never send to a server; treat the URL like the key itself.

${CONNECTION_HELP}`

export function uiUrl(brokerUrl: string, key: string | null): string {
  return `${brokerUrl.replace(/\/+$/, '')}/ui/${key ? `#key=${encodeURIComponent(key)}` : ''}`
}

export async function runUiCommand(argv: string[]): Promise<void> {
  await runVerb('ui', HELP, argv, async () => {
    const args = parseVerbArgs(argv, [], [])
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`)
    const client = clientFrom(args)
    await client.get('/api/session') // fails clearly (exit 3) when no broker answers or the key is wrong
    process.stdout.write(uiUrl(client.url, client.target.apiKey) + '\n')
  })
}
