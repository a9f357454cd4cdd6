/**
 * A child's stdout carries frames ONLY (docs/architecture.md, "Frame protocol"): anything a
 * library prints with console.log would corrupt the stream, so it goes to stderr, where logs go.
 */

/** Routes console output that would land on stdout (the frame channel) to stderr. */
export function protectStdout(): void {
  const toStderr = console.error.bind(console)
  console.log = toStderr
  console.info = toStderr
  console.debug = toStderr
  console.trace = toStderr
}
