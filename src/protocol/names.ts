/**
 * Names, one zod schema per kind (docs/security.md, "Names"). The API checks them at its edge; the
 * children check the same schemas again before anything is typed or used as a file name.
 *
 *   agent name, channel (without `#`), workspace label, broker name:
 *       1–64 characters of A–Z a–z 0–9 . _ -, the first a letter or a digit
 *   sender (`from`):  a name, or `human:` + a name (blanks after `human:` are dropped)
 *   thread id:        1–128 characters of A–Z a–z 0–9 . _ - :, the first a letter or a digit
 *   target (`to`):    `#channel`, `@agent` or `agent`
 *
 * So a name can never hold a path separator, `..`, a control character, a blank or a NUL.
 */
import * as z from 'zod'

export const NAME_MAX_CHARS = 64
export const THREAD_ID_MAX_CHARS = 128
export const HUMAN_PREFIX = 'human:'

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
const THREAD_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/

export const NAME_RULE = `1-${NAME_MAX_CHARS} characters of letters, digits, '.', '_' or '-', starting with a letter or digit`
export const THREAD_ID_RULE = `1-${THREAD_ID_MAX_CHARS} characters of letters, digits, '.', '_', '-' or ':', starting with a letter or digit`

/** Which name a value was meant to be: names the rule in error messages and codes. */
export type NameKind = 'agent name' | 'channel' | 'sender' | 'thread id' | 'workspace label' | 'target' | 'broker name'

function nameSchema(kind: NameKind) {
  return z
    .string()
    .min(1, `${kind} must not be empty (${NAME_RULE})`)
    .max(NAME_MAX_CHARS, `${kind} is longer than ${NAME_MAX_CHARS} characters (${NAME_RULE})`)
    .regex(NAME, `${kind} must be ${NAME_RULE}`)
}

export const agentNameSchema = nameSchema('agent name')
export const workspaceLabelSchema = nameSchema('workspace label')
export const brokerNameSchema = nameSchema('broker name')

/** A channel as given: `#ops` or `ops`; the value is the name without `#`. */
export const channelSchema = z
  .string()
  .transform((c) => (c.startsWith('#') ? c.slice(1) : c))
  .pipe(nameSchema('channel'))

/** `from`: a name or `human:<name>`; `human:  x ` becomes `human:x`. */
export const senderSchema = z
  .string()
  .transform((s) => (s.startsWith(HUMAN_PREFIX) ? HUMAN_PREFIX + s.slice(HUMAN_PREFIX.length).trim() : s))
  .pipe(
    z.string().refine((s) => isName(s.startsWith(HUMAN_PREFIX) ? s.slice(HUMAN_PREFIX.length) : s), {
      message: `sender must be a name or 'human:' and a name, the name ${NAME_RULE}`
    })
  )

export const threadIdSchema = z
  .string()
  .min(1, `thread id must not be empty (${THREAD_ID_RULE})`)
  .max(THREAD_ID_MAX_CHARS, `thread id is longer than ${THREAD_ID_MAX_CHARS} characters (${THREAD_ID_RULE})`)
  .regex(THREAD_ID, `thread id must be ${THREAD_ID_RULE}`)

function isName(s: string): boolean {
  return s.length <= NAME_MAX_CHARS && NAME.test(s)
}

/** `to`: `#channel`, `@agent` or `agent` (kept as given). */
export const targetSchema = z.string().refine(
  (t) => {
    return isName(t.startsWith('#') || t.startsWith('@') ? t.slice(1) : t)
  },
  { message: `target must be '#channel', '@agent' or 'agent', the name ${NAME_RULE}` }
)

/** The first problem with `value` as a `kind`, or null when it is valid. */
export function nameProblem(schema: z.ZodType, value: unknown): string | null {
  const r = schema.safeParse(value)
  return r.success ? null : (r.error.issues[0]?.message ?? 'invalid name')
}

/** Turns any string into a valid name (for names the broker derives itself, e.g. from a directory). */
export function toValidName(raw: string, fallback: string): string {
  const s = raw
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '')
    .slice(0, NAME_MAX_CHARS)
  return s.length > 0 ? s : fallback
}
