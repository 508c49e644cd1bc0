import { closeSync, openSync, read, writeSync } from 'node:fs'
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

/**
 * The one line `up` writes to a spare: `{"dir", "project"}`; undefined once stdin closes without
 * it. Read from the descriptor, not process.stdin: in Bun the stream costs ≈ 10 ms to set up.
 */
function projectFromStdin(): Promise<{ dir: string; project: string } | undefined> {
  return new Promise((done) => {
    const chunks: Buffer[] = []
    const buf = Buffer.alloc(64 * 1024)
    const finish = () => {
      const text = Buffer.concat(chunks).toString('utf8')
      try {
        const told = JSON.parse(text.slice(0, text.indexOf('\n')))
        done(typeof told?.dir === 'string' && typeof told?.project === 'string' ? told : undefined)
      } catch {
        done(undefined)
      }
    }
    const next = () =>
      read(0, buf, 0, buf.length, null, (err, n) => {
        if (err || n === 0) return finish()
        chunks.push(Buffer.from(buf.subarray(0, n)))
        if (buf.subarray(0, n).includes(10)) return finish()
        next()
      })
    next()
  })
}

/**
 * A spare was started before its log's place was known, its output going nowhere: from here on
 * what it would print (console output, an uncaught error above all) goes to the project's
 * supervisor log, as a supervisor started with the log as its output has it. Not through
 * process.stdout and process.stderr: setting those streams up would delay its listening.
 */
function logTo(file: string): void {
  const fd = openSync(file, 'a', 0o600)
  const line = (...args: unknown[]) => void writeSync(fd, args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : String(a))).join(' ') + '\n')
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) console[method] = line
  const fatal = (e: unknown) => {
    line(e)
    process.exit(1)
  }
  process.on('uncaughtException', fatal)
  process.on('unhandledRejection', fatal)
}
