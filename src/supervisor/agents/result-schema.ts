/**
 * An agent's result schema (spawn field `agentResultSchema`, JSON Schema): compiled once with
 * zod's `fromJSONSchema`, and used to check what the agent submits. Mismatches come back as a
 * short list of `path: problem` lines the agent can act on.
 */
import * as z from 'zod'
import { ResultSchemaError } from '../../errors/index.js'
export { ResultSchemaError } from '../../errors/index.js'

export type JsonSchema = boolean | Record<string, unknown>

/** How many problems a mismatch reports (the first ones). */
export const RESULT_ISSUES_MAX = 10

export function compileResultSchema(schema: JsonSchema): z.ZodType {
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0])
  } catch (err) {
    throw new ResultSchemaError(`agentResultSchema is not a usable JSON Schema: ${(err as Error).message}`)
  }
}

export type ResultCheck = { ok: true; data: unknown } | { ok: false; problems: string[] }

export function checkResult(schema: z.ZodType, data: unknown): ResultCheck {
  const parsed = schema.safeParse(data)
  if (parsed.success) return { ok: true, data }
  const problems = parsed.error.issues.slice(0, RESULT_ISSUES_MAX).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
  return { ok: false, problems }
}
