import { closeSync, openSync, writeSync } from 'node:fs'
import { resolve } from 'node:path'

/** What `pulpo supervise` is asked: to supervise a project, or to wait as a spare for one (spare.ts). */
export type SuperviseArgs = { dir: string; project: string } | { spare: true }

/**
 * `supervise --dir DIR --project NAME` or `supervise --spare`, as `pulpo up` starts the supervisor:
 * exactly those flags, or undefined for anything else (help, a usage error), which goes to the
 * oclif command. main.ts answers it before loading oclif and every command (most of a CLI start),
 * since a first `up` waits for this process to listen.
 */
export function superviseArgs(argv: readonly string[]): SuperviseArgs | undefined {
  if (argv[0] !== 'supervise') return undefined
  if (argv.length === 2 && argv[1] === '--spare') return { spare: true }
  const flags: Record<string, string> = {}
  for (let i = 1; i < argv.length; i++) {
    const m = /^--(dir|project)(?:=(.*))?$/.exec(argv[i])
    if (!m || m[1] in flags) return undefined
    const value = m[2] ?? argv[++i]
    if (value === undefined || value === '') return undefined
    flags[m[1]] = value
  }
  return flags.dir && flags.project ? { dir: flags.dir, project: flags.project } : undefined
}

/** Runs `pulpo supervise`: a project's supervisor until it is shut down, or a spare until told its project. */
export async function supervise(args: SuperviseArgs): Promise<void> {
  if (!('spare' in args)) return serve(args.dir, args.project)
  const [told] = await Promise.all([projectFromStdin(), import('./supervisor.js')])
  // `up` let it go (it exited, or found a supervisor running): nothing to do.
  if (!told) process.exit(0)
  process.chdir(told.dir)
  const { StateDir } = await import('../../project/paths.js')
  logTo(new StateDir(told.dir, told.project).supervisorLog)
  return serve(told.dir, told.project)
}

async function serve(dir: string, project: string): Promise<never> {
  const [{ StateDir }, { Supervisor }] = await Promise.all([import('../../project/paths.js'), import('./supervisor.js')])
  await new Supervisor(new StateDir(resolve(dir), project)).serve()
  // Tell the `pulpo up` that started it that it listens (client.ts), and let go of the pipe
  // before any service is started, so that none inherits it.
  const fd = Number(process.env.PULPO_SUPERVISOR_READY_FD)
  delete process.env.PULPO_SUPERVISOR_READY_FD
  if (fd > 2) {
    try {
      writeSync(fd, 'listening\n')
      closeSync(fd)
    } catch {
      // Not started by `up` after all: nobody to tell.
    }
  }
  // Serve until shut down: the server keeps the event loop alive.
  return new Promise<never>(() => {})
}

/** The one line `up` writes to a spare: `{"dir", "project"}`; undefined once stdin closes without it. */
function projectFromStdin(): Promise<{ dir: string; project: string } | undefined> {
  return new Promise((done) => {
    let text = ''
    const finish = () => {
      process.stdin.removeAllListeners()
      process.stdin.destroy()
      try {
        const told = JSON.parse(text.slice(0, text.indexOf('\n')))
        done(typeof told?.dir === 'string' && typeof told?.project === 'string' ? told : undefined)
      } catch {
        done(undefined)
      }
    }
    process.stdin.setEncoding('utf8')
    process.stdin.on('data', (chunk: string) => {
      text += chunk
      if (text.includes('\n')) finish()
    })
    process.stdin.on('end', finish)
    process.stdin.on('error', finish)
  })
}

/**
 * A spare was started before its log's place was known, its output going nowhere: from here on
 * what it would print (an uncaught error, above all) goes to the project's supervisor log, as a
 * supervisor started with the log as its output has it.
 */
function logTo(file: string): void {
  const fd = openSync(file, 'a', 0o600)
  const write = (chunk: string | Uint8Array) => (typeof chunk === 'string' ? writeSync(fd, chunk) : writeSync(fd, chunk), true)
  process.stdout.write = write as typeof process.stdout.write
  process.stderr.write = write as typeof process.stderr.write
  const fatal = (e: unknown) => {
    write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exit(1)
  }
  process.on('uncaughtException', fatal)
  process.on('unhandledRejection', fatal)
}
