/** docs/errors.md, written from the catalogue (scripts/errors-doc.mjs writes it; a test compares). */
import { ERROR_CATALOGUE } from './catalogue.js'

const HEADER = `# Errors

<!-- Written by scripts/errors-doc.mjs from src/errors/catalogue.ts; do not edit by hand. -->

Every error the broker raises on purpose has a code from one catalogue (\`src/errors/catalogue.ts\`)
and one base class, \`BrokerError\` (\`src/errors/broker-error.ts\`). The API turns errors into answers
in one place, \`src/api/reply.ts\`:

- **Family B** (most routes): \`{"code": "...", "message": "..."}\`.
- **Family A** (routes that answer \`success\`: spawn, release, send, model, interrupt, the agent
  result routes): \`{"success": false, ...details, "error": message, "code": "...", "message": "..."}\`,
  where details are fields such as \`name\`, \`to\`, \`retry_after_secs\` or \`problems\`.
- **Family C** (a missing or wrong API key or agent token):
  \`{"error": {"code": "unauthorized", "message": "...", "retryable": false, "statusCode": 401}}\`.
- An error that says when to retry also sends \`Retry-After\` (seconds).
- A zod validation failure is a 400 \`invalid_request\` naming the first problems.
- Anything else is a bug: 500 \`internal_error\` with the error's message and never a stack.

Codes are public: clients and the published SDKs match on them. Child frame errors
(\`src/protocol/errors.ts\`) are a separate, wire-level set whose codes never appear here.
Codes raised by "client" come from the CLI or \`broker mcp\`; the broker never sends them.

| code | status | raised by | when |
| --- | --- | --- | --- |
`

export function renderErrorsDoc(): string {
  const rows = Object.entries(ERROR_CATALOGUE).map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.by} | ${e.when} |`)
  return `${HEADER}${rows.join('\n')}\n`
}
