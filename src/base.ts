import { Command, Flags, Interfaces } from '@oclif/core'
import chalk from 'chalk'
import type { Project } from './config/types.js'
import { isPulpoError, PulpoError } from './errors.js'
import { reportError } from './render/errors.js'

/** Flags of every command that reads pulpo.yaml. */
export const configFlags = {
  config: Flags.string({ char: 'c', description: 'the pulpo.yaml to use (default: pulpo.yaml here or in a directory above)', helpGroup: 'GLOBAL' }),
  env: Flags.string({ char: 'e', description: 'environment (default: $PULPO_ENV, else the one `pulpo up` applied, else the file\'s `environment`)', helpGroup: 'GLOBAL' }),
}

/** `-p/--project`: a project recorded in .pulpo/, reached without its file (as `docker compose -p`). */
export const projectFlag = {
  project: Flags.string({ char: 'p', description: 'a project recorded in .pulpo/ here or above, reached without its file (status, down)', helpGroup: 'GLOBAL', exclusive: ['config'] }),
}

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof PulpoCommand)['baseFlags'] & T['flags']>

/**
 * What every pulpo command shares: the one place where an error becomes output and an exit code.
 * A PulpoError is a user's problem: its message and hints, no stack trace. Anything else is a bug:
 * one line, and the stack only with PULPO_DEBUG=1.
 */
export abstract class PulpoCommand extends Command {
  static enableJsonFlag = true

  /** The project the -c/-e flags name, resolved (the loader is imported only when a command needs it). */
  protected async loadProject(flags: { config?: string; env?: string }): Promise<Project> {
    const { loadProject } = await import('./config/load.js')
    return loadProject({ config: flags.config, env: flags.env })
  }

  /**
   * The project a command that acts on what runs works on (app/target.ts): the applied
   * environment unless -e says otherwise, the record when the file is broken or -p names it.
   * Its notes go to stderr.
   */
  protected async loadTarget(flags: { config?: string; env?: string; project?: string }, command: import('./app/target.js').TargetCommand) {
    const { resolveTarget } = await import('./app/target.js')
    const target = resolveTarget(flags, command)
    for (const n of target.notes) if (!this.jsonEnabled()) this.logToStderr(chalk.yellow(`note: ${n}`))
    return target
  }

  /** Runs `work` holding the project's lock (one up/down/restart at a time), Ctrl-C as its abort signal. */
  protected async locked<T>(project: Project, command: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { withLock } = await import('./app/apply.js')
    return withLock(project, command, (s) => !this.jsonEnabled() && this.logToStderr(s), work)
  }

  async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own exits (help, usage errors) keep their behaviour and exit codes.
    if (!isPulpoError(err) && (err.oclif || err.name === 'ExitError' || err.constructor?.name?.endsWith('ParseError'))) {
      // With --json, oclif would print its whole parser state (argv, config, every command) as the
      // error and exit 1: a usage error is the contract's error shape and exit 2 there too.
      if (!this.jsonEnabled() || err.name === 'ExitError') return super.catch(err)
      const message = err.message.replace(/\n?See more help with --help\s*$/, '')
      const id = this.id?.replaceAll(':', ' ')
      const usage = new PulpoError('usage', message, { exitCode: err.oclif?.exit ?? 2, hints: id ? [`pulpo ${id} --help`] : [] })
      reportError(usage, true, (data) => this.logJson(data))
      return undefined
    }
    reportError(err, this.jsonEnabled(), (data) => this.logJson(data))
    return undefined
  }
}

export { errorJson, renderError } from './render/errors.js'
