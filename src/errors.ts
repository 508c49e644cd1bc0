import { count } from './util/plural.js'

/** Where a problem is in a file: 1-based line and column, and a JSON pointer. */
export interface Location {
  file: string
  line: number
  column: number
  path: string
}

/** One thing wrong with a pulpo.yaml, located; validation collects all of them. */
export interface Problem extends Location {
  message: string
  hint?: string
  /** Which check found it, e.g. `schema`, `depends-on`, `cycle`. */
  code: string
}

/**
 * The one error type pulpo raises for anything a user can act on. The base command turns it into
 * output and an exit code; nothing else prints a stack trace.
 */
export class PulpoError extends Error {
  readonly code: string
  readonly hints: string[]
  readonly exitCode: number
  readonly problems: Problem[]

  constructor(
    code: string,
    message: string,
    opts: { hints?: string[]; exitCode?: number; problems?: Problem[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'PulpoError'
    this.code = code
    this.hints = opts.hints ?? []
    this.exitCode = opts.exitCode ?? 1
    this.problems = opts.problems ?? []
  }
}

/** Raised when a pulpo.yaml does not validate; carries every problem found. */
export class InvalidConfigError extends PulpoError {
  constructor(problems: Problem[]) {
    super('invalid-config', `${count(problems.length, 'problem')} in ${problems[0]?.file ?? 'pulpo.yaml'}`, { problems })
  }
}

export const isPulpoError = (e: unknown): e is PulpoError => e instanceof PulpoError
