// Writes docs/errors.md from the error catalogue. Run after `npx tsc -p tsconfig.json`:
//   node scripts/errors-doc.mjs
import { writeFileSync } from 'node:fs'
import { renderErrorsDoc } from '../dist/src/errors/doc.js'

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc())
