import { Listr, type ListrTask } from 'listr2'
import type { Progress, ServiceResult } from '../backends/backend.js'
import { mask } from '../util/mask.js'

/**
 * How pulpo runs a listr2 list: every task runs even when another fails, errors shown in full,
 * nothing under --json, plain lines when stdout is not a terminal.
 */
export function listrOptions(opts: { silent: boolean; concurrent: boolean | number }) {
  return {
    concurrent: opts.concurrent,
    exitOnError: false,
    renderer: opts.silent ? 'silent' : 'default',
    fallbackRenderer: opts.silent ? 'silent' : 'simple',
    rendererOptions: { collapseErrors: false },
    collectErrors: false,
    // listr2's own SIGINT handler exits 127 at once: Ctrl-C belongs to pulpo (withLock stops
    // cleanly and releases the lock; a build stops its docker CLI children), which exits 130.
    registerSignalListeners: false,
  } as any
}

/**
 * listr2 progress for `up`/`down`/`restart`: a task per service whose title says what it does or
 * waits for; plain lines when stdout is not a terminal; nothing at all under --json. Every title
 * is masked with the project's `secrets`: a failure's reason may quote a probe's command or a
 * tool's output.
 */
export class ServiceProgress implements Progress {
  private titles = new Map<string, (t: string) => void>()
  private finishers = new Map<string, (r: ServiceResult) => void>()
  private run?: Promise<unknown>

  constructor(services: string[], opts: { silent: boolean; verb: string; secrets: readonly string[] }) {
    const tasks: ListrTask[] = services.map((name) => ({
      title: `${name}: pending`,
      task: (_ctx, task) =>
        new Promise<void>((resolve, reject) => {
          this.titles.set(name, (t) => (task.title = mask(`${name}: ${t}`, opts.secrets)))
          this.finishers.set(name, (r) => {
            if (r.status === 'done') {
              // What happened, not one word for everything: a job completed, a removed service stopped.
              const word = r.outcome ?? (r.action === 'delete' || r.action === 'stop' ? 'stopped' : opts.verb)
              task.title = `${name}: ${word}${r.ms ? ` (${(r.ms / 1000).toFixed(1)}s)` : ''}`
              resolve()
            } else if (r.status === 'skipped') {
              task.skip(mask(`${name}: ${r.reason}`, opts.secrets))
              resolve()
            } else reject(new Error(mask(`${name}: ${r.reason}`, opts.secrets)))
          })
        }),
    }))
    const list = new Listr(tasks, listrOptions({ silent: opts.silent, concurrent: true }))
    this.run = list.run().catch(() => {})
  }

  private finished = new Set<string>()
  private early = new Map<string, ServiceResult>()

  update(service: string, text: string) {
    this.titles.get(service)?.(text)
  }

  done(result: ServiceResult) {
    const f = this.finishers.get(result.service)
    if (!f) {
      // Its task has not registered yet; finish() will deliver it.
      this.early.set(result.service, result)
      return
    }
    this.finished.add(result.service)
    f(result)
  }

  /** Ends each service's task with its result, and waits for the renderer to finish. */
  async finish(results: ServiceResult[]) {
    // Tasks start asynchronously: let every task register before resolving it.
    await new Promise((r) => setImmediate(r))
    for (const r of [...this.early.values(), ...results]) if (!this.finished.has(r.service)) this.done(r)
    // A service with no result was never reached (the work stopped on an error): not "ready".
    for (const [name, f] of this.finishers) if (!this.finished.has(name)) f({ service: name, status: 'skipped', action: 'noop', reason: 'not reached' })
    await this.run
  }
}
