/** Names at the API edge: one schema per kind (src/protocol/names.ts); a bad one is a 400 `invalid_name`. */
import type { z } from 'zod'
import { nameProblem } from '../protocol/names.js'
import { ApiError } from './reply.js'

/** Throws 400 `invalid_name` naming the field and the rule when `value` is not a valid `schema` name. */
export function checkName(schema: z.ZodType, value: unknown, field: string, family: 'A' | 'B'): void {
  const problem = nameProblem(schema, value)
  if (problem !== null) throw new ApiError(400, 'invalid_name', `${field}: ${problem}`, family)
}
