/** Answers for the JSON-mode requests of the fake model servers (fake-models.ts). Not a test file. */

/**
 * A value that fits a JSON schema: the first enum value, else a placeholder of the type. gemini
 * 0.61 asks for JSON before and after a turn (its model router's `model_choice`, its
 * `next_speaker` check); both schemas list the answer that lets the turn go on as the user
 * intended first (`flash`, `user`).
 */
export function fitSchema(schema: any): unknown {
  if (Array.isArray(schema?.enum) && schema.enum.length > 0) return schema.enum[0]
  switch (String(schema?.type ?? '').toLowerCase()) {
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(schema.properties ?? {})) out[k] = fitSchema(v)
      return out
    }
    case 'array':
      return []
    case 'boolean':
      return false
    case 'number':
    case 'integer':
      return 0
    default:
      return 'fake'
  }
}
