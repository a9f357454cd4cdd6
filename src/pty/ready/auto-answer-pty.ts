/** The auto-answerer of a live PTY child: reads the screen model, types through the one PTY writer. */
import type { Logger } from '../../protocol/log.js'
import { AutoAnswerer, type AutoAnswered, type AutoAnswerRule, type KeyStep } from './auto-answer.js'
import { sleep, type PtyWriter } from '../writer.js'

export interface PtyAutoAnswerOptions {
  rules: readonly AutoAnswerRule[]
  screen: { visibleRows(): string[] }
  writer: PtyWriter
  log: Logger
  onAnswered(answer: AutoAnswered): void
}

/** Types `keys` as one exclusive writer job: nothing else can land between its keys and pauses. */
export function typeKeys(writer: PtyWriter, keys: readonly KeyStep[]): Promise<void> {
  return writer.run(async (write) => {
    for (const k of keys) {
      if (typeof k === 'string') write(k)
      else await sleep(k.pauseMs)
    }
  })
}

export function ptyAutoAnswerer(o: PtyAutoAnswerOptions): AutoAnswerer {
  return new AutoAnswerer(o.rules, {
    rows: () => o.screen.visibleRows(),
    write: (keys) => typeKeys(o.writer, keys),
    onAnswered: (a) => {
      o.log.info({ rule: a.rule, keys: JSON.stringify(a.keys) }, `auto-answered: ${a.answer}`)
      o.onAnswered(a)
    }
  })
}
