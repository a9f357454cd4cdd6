/**
 * What this agent's workers have done with each delivery, on disk (the format is
 * src/catalog/facts.ts). `injecting` is written and fdatasync'd *before* the first byte of a
 * delivery is typed, so whoever reads the file later (the next worker of the agent, after a crash
 * of this one or of the supervisor) knows the text may be on the agent's screen and must not be
 * typed again.
 */
import { writeAllSync, writeFileAtomicSync } from '../protocol/atomic-file.js'
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync } from 'node:fs'
import { factLine, parseFacts, type Fact } from '../catalog/facts.js'
import { openAppendNoFollow, readFileNoFollow } from '../protocol/safe-open.js'
import { agentNameSchema, nameProblem } from '../protocol/names.js'
import { basename } from 'node:path'

/** Entries kept in the facts file when it is compacted (when a worker opens it). */
export const FACTS_KEEP_ENTRIES = 4_096

export class FactsStore {
  readonly #path: string
  readonly #facts = new Map<string, Fact>()
  #fd: number

  constructor(path: string) {
    // The file is named after the agent: the name is checked again here before it becomes a path.
    const problem = nameProblem(agentNameSchema, basename(path, '.log'))
    if (problem !== null) throw new Error(`facts file name: ${problem}`)
    this.#path = path
    this.#load()
    this.#compact()
    this.#fd = openAppendNoFollow(path)
  }

  /** The last fact recorded for a delivery, by this worker or an earlier one. */
  get(id: string): Fact | undefined {
    return this.#facts.get(id)
  }

  /**
   * Records a fact; `durable` waits until it is on disk. The line is written whole or not at all
   * (a short write is continued; on an error — disk full — the file is cut back and the error
   * thrown), and the fact counts only once written: a throw here means nothing was recorded.
   */
  record(id: string, fact: Fact, durable: boolean): void {
    const buf = Buffer.from(factLine(id, fact))
    const size = fstatSync(this.#fd).size
    try {
      writeAllSync(this.#fd, buf)
      if (durable) fdatasyncSync(this.#fd)
    } catch (err) {
      try {
        ftruncateSync(this.#fd, size)
      } catch {
        // a torn line is skipped when the file is read
      }
      throw err
    }
    this.#facts.set(id, fact)
  }

  close(): void {
    try {
      closeSync(this.#fd)
    } catch {
      // already closed
    }
  }

  #load(): void {
    let text: string
    try {
      text = readFileNoFollow(this.#path)
    } catch {
      return
    }
    for (const [id, fact] of parseFacts(text)) this.#facts.set(id, fact)
  }

  /** Keeps the newest FACTS_KEEP_ENTRIES facts (rewritten atomically). */
  #compact(): void {
    if (this.#facts.size <= FACTS_KEEP_ENTRIES) return
    const keep = [...this.#facts].slice(-FACTS_KEEP_ENTRIES)
    this.#facts.clear()
    for (const [id, fact] of keep) this.#facts.set(id, fact)
    writeFileAtomicSync(this.#path, keep.map(([id, fact]) => factLine(id, fact)).join(''))
  }
}
