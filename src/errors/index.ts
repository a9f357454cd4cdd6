/**
 * The broker's error catalogue (docs/errors.md). Dependency-free: it imports nothing of ours, so
 * the supervisor, the API, the CLI, `broker mcp` and the hub may all use it.
 */
export { ERROR_CATALOGUE, fillTemplate, isErrorCode, type CatalogueEntry, type ErrorCode } from './catalogue.js'
export { BrokerError, RemoteError, type BrokerErrorOptions, type ErrorFamily } from './broker-error.js'
export * from './broker.js'
export * from './clients.js'
