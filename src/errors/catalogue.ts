/**
 * Every error the broker raises on purpose: its code (what clients and the published SDKs match
 * on), the HTTP status the API answers it with, a message template (`{name}` is filled from the
 * values a throw site passes) and when it happens. docs/errors.md is written from this table
 * (scripts/errors-doc.mjs) and test/errors/ checks that the two agree.
 *
 * Codes are part of the public API: never rename one. Codes that only a client (the CLI, the MCP
 * server) raises still get the status an HTTP answer would have, so one mapper serves them all.
 * Child frame errors (src/protocol/errors.ts) are a separate, wire-level set; their codes do not
 * appear here and must not collide with these (test/errors/catalogue.test.ts checks it).
 */

export interface CatalogueEntry {
  /** HTTP status of the API answer. */
  readonly status: number
  /** The default message; `{key}` is replaced by the throw site's values. */
  readonly message: string
  /** When it happens, in one line (docs/errors.md). */
  readonly when: string
  /** Who raises it: the broker (and answers it over HTTP), or a client (the CLI, `broker mcp`). */
  readonly by: 'broker' | 'client'
}

const entry = (status: number, message: string, when: string): CatalogueEntry => ({ status, message, when, by: 'broker' })
const clientEntry = (status: number, message: string, when: string): CatalogueEntry => ({ status, message, when, by: 'client' })

export const ERROR_CATALOGUE = {
  // ── requests ────────────────────────────────────────────────────────────────
  invalid_request: entry(400, '{detail}', 'the request body or query failed validation'),
  invalid_json: entry(400, 'request body is not valid JSON: {detail}', 'the request body is not JSON'),
  invalid_name: entry(400, '{field}: {problem}', 'an agent, channel, sender or thread name breaks the naming rules'),
  invalid_format: entry(400, "unsupported snapshot format '{format}' (expected 'plain' or 'ansi')", 'a snapshot asked for an unknown format'),
  invalid_mode: entry(400, "unsupported inbound delivery mode '{mode}'", 'a delivery mode other than auto_inject or manual_flush'),
  invalid_input: entry(400, '{detail}', 'an input-stream frame is not valid (binary that is not UTF-8, no data field)'),
  payload_too_large: entry(413, 'request body exceeds the limit of {limit} bytes', 'the request body is over the API limit'),
  unauthorized: entry(401, 'Missing or invalid API key', 'no or a wrong API key or agent token'),
  not_found: entry(404, 'no such file {path}', 'a web-view file that does not exist (or is not built)'),
  forbidden: entry(403, 'this route is not open to this caller', 'an observer token on a route that changes state'),
  // ── agents and spawning ─────────────────────────────────────────────────────
  agent_not_found: entry(404, "agent_not_found: no worker named '{name}'", 'no running agent has this name'),
  agent_exists: entry(409, "agent '{name}' already exists", 'a spawn names an agent that is already running'),
  shutting_down: entry(503, 'broker is shutting down', 'a spawn arrives while the broker shuts down'),
  spawn_queue_full: entry(503, 'too many spawns are waiting for a start slot', 'the spawn queue is full; retry after Retry-After'),
  spawn_failed: entry(500, "failed to start worker for '{name}'", 'the worker process could not be started'),
  invalid_cli: entry(400, 'cli: {detail}', 'the cli command line cannot be parsed'),
  cli_not_found: entry(400, "cli '{cli}' not found (not an executable file, nor on PATH)", 'the cli executable does not exist'),
  invalid_cwd: entry(400, "cwd '{cwd}' is not a directory", 'the spawn cwd does not exist'),
  invalid_env: entry(400, '{field}: {detail}', 'the agent env is not a map of valid names to strings'),
  invalid_agent_token: entry(400, '{detail}', 'a caller-chosen agent token is malformed'),
  unsafe_state_file: entry(409, '{file} is a symlink: not written through', 'a state file the spawn would write is a symlink'),
  unsupported_provider: entry(400, "provider '{provider}' does not support headless transport", 'a headless spawn names a CLI with no headless provider'),
  unsupported_harness: entry(400, "harnessConfig.runtime '{runtime}' is not supported", 'a harness other than pty'),
  run_as_unsupported: entry(400, 'run_as is supported for the pty runtime only', 'run_as on a headless spawn'),
  run_as_not_permitted: entry(403, "run_as '{user}': the broker may not start processes as another user", 'run_as while the broker does not run as root'),
  unknown_user: entry(400, "run_as '{user}': no such user", 'run_as names a user that does not exist'),
  invalid_result_schema: entry(400, 'the result schema is not valid: {detail}', 'agentResultSchema is not a schema we can check'),
  result_schema_mismatch: entry(422, "the result does not match this agent's result schema: {problems}", "a task agent's result breaks its schema"),
  not_a_task_agent: entry(409, "agent '{name}' was not spawned as a task agent", 'done from an agent that is not a task agent'),
  mcp_wiring_failed: entry(400, 'could not wire broker mcp into the CLI: {detail}', "the CLI's MCP configuration could not be written"),
  // ── workers (answers of a child to the supervisor) ──────────────────────────
  worker_timeout: entry(504, "worker_timeout: worker '{name}' did not respond in time", 'the worker did not answer or read its input in time'),
  worker_disappeared: entry(503, "worker_disappeared: worker '{name}' is not running", 'the worker exited while a request was open'),
  unsupported_operation: entry(400, '{detail}', 'the worker does not support this request'),
  unsupported_runtime: entry(409, "unsupported_runtime: agent '{name}' has no PTY", 'a PTY operation on a headless agent'),
  request_failed: entry(400, '{detail}', 'the worker refused a request for a reason of its own'),
  adopt_timeout: entry(504, 'no worker_adopted within {ms} ms', 'a worker did not answer an adoption in time'),
  adopt_refused: entry(409, 'adoption refused: {detail}', 'a worker refused to be adopted by this broker'),
  // ── deliveries and messages ─────────────────────────────────────────────────
  delivery_not_found: entry(404, "delivery_not_found: no delivery with id '{id}'", 'no delivery has this id (or the caller did not send it)'),
  possibly_typed: entry(409, '{detail}', 'a redelivery could type the message twice; pass force'),
  search_unavailable: entry(503, 'search failed: {detail}', 'the history search could not run'),
  hub_unavailable: entry(503, '{detail}', "the team's NATS server cannot take the call now"),
  node_not_found: entry(404, "node_not_found: no broker named '{node}' in this team", 'no broker of the team has this node name'),
  // ── broker state ────────────────────────────────────────────────────────────
  storage_unavailable: entry(507, 'could not write {file} ({cause})', 'the state dir refused a write (disk full, I/O error); retry after Retry-After'),
  not_durable: entry(409, 'keep_agents needs a durable broker (--persist or --state-dir)', 'a hand-over shutdown on an ephemeral broker'),
  lock_held: entry(409, 'another broker is already running on state dir {root} (pid {pid})', 'a second broker starts on a state dir in use'),
  invalid_config: entry(400, '{detail}', 'the state dir or broker settings are not usable'),
  invalid_nats_settings: entry(400, '{detail}', 'the --nats URL or team name is not valid'),
  internal_error: entry(500, '{detail}', 'a bug: anything the broker did not raise on purpose'),
  // ── clients (the CLI and the MCP server; never sent by the broker) ──────────
  usage: clientEntry(400, '{detail}', 'a CLI command line is wrong'),
  broker_unreachable: clientEntry(502, 'cannot reach the broker at {url}', 'the CLI or MCP server cannot connect to the broker'),
  broker_not_found: clientEntry(404, 'no broker found', 'no broker URL given and no connection file found'),
  invalid_connection_file: clientEntry(400, '{detail}', "the broker's connection file cannot be read"),
  invalid_response: clientEntry(502, '{detail}', 'the broker answered something the client cannot read'),
  bad_response: clientEntry(502, '{detail}', 'the broker answered an error without a readable body'),
  missing_identity: clientEntry(400, '{detail}', 'broker mcp started without its agent name, URL or token'),
  attach_ended: clientEntry(502, '{detail}', 'an attach session ended before the user left it'),
  send_timeout: clientEntry(504, 'gave up after {secs}s waiting for {open}', 'broker send --wait gave up waiting for verification'),
  spawn_timeout: clientEntry(504, '{detail}', 'broker spawn --wait gave up waiting for readiness'),
  agent_blocked: clientEntry(409, '{detail}', 'the agent stopped at a prompt it cannot pass on its own'),
  agent_exited: clientEntry(502, '{detail}', 'the agent exited before it was ready')
} as const satisfies Record<string, CatalogueEntry>

export type ErrorCode = keyof typeof ERROR_CATALOGUE

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, code)
}

/** Fills `{key}` slots of a template; a slot without a value is left as written. */
export function fillTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (slot, key: string) => (key in values ? String(values[key]) : slot))
}
