import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { COMPOSE_FILE } from '../../compile/compose.js'
import { compileProject, ensureCompiled, RUN_CACHE } from '../../compile/index.js'
import type { Project } from '../../config/types.js'
import { PulpoError } from '../../errors.js'
import { desiredService } from '../../plan/desired.js'
import type { WaitCondition } from '../../plan/conditions.js'
import type { Actual, Plan, Step } from '../../plan/plan.js'
import { interruptedRun, ServiceFailed, type Backend, type DownResult, type Progress, type ServiceResult } from '../backend.js'
import { writeAtomic } from '../../project/atomic.js'
import { privateDir, stateDirOf } from '../../project/paths.js'
import { compose, docker } from './engine.js'
import { containers, toActual, type Container } from './observe.js'
import { downByLabel } from './down-by-label.js'
import { ContainerWatch } from './wait.js'
import { tethered } from '../../util/tethered.js'

const LOG_LINES = 20

/** The compose file docker mode drives: the user's `compose_file`, else the generated one. */
function composeFileOf(project: Project): string {
  return project.composeFile ?? join(project.dir, RUN_CACHE, COMPOSE_FILE)
}

/** Fingerprints of what pulpo last applied (containers carry only the hash), for per-field reasons. */
function appliedFile(project: Project) {
  return join(stateDirOf(project).root, 'docker-applied.json')
}

/** Services as containers, through Docker Compose. */
export class DockerBackend implements Backend {
  async observe(project: Project) {
    const applied = this.applied(project)
    const found = await containers(project.name)
    // Compose may keep one-off or old containers of a service: the running one speaks for it.
    const byService = new Map<string, Container>()
    for (const c of found) if (!byService.has(c.service) || c.state === 'running') byService.set(c.service, c)
    const actual: Actual[] = [...byService.values()].map((c) => {
      const a = toActual(c)
      // A compose file of the user's carries no pulpo hash: running is all there is to compare.
      if (project.composeFile) return { ...a, fingerprint: {} }
      const known = applied[c.service]
      return known && known.hash === c.hash ? { ...a, fingerprint: known.fingerprint, ...(known.shown ? { shown: known.shown } : {}) } : a
    })
    return { actual, notes: project.composeFile ? [`driving your compose file ${project.composeFile}`] : [] }
  }

  /** Per plan: the compose file, the secrets it refers to, the watch on containers, and what could not be created. */
  private run?: { file: string; env: Record<string, string>; watch: ContainerWatch; progress: Map<string, (text: string) => void>; createErrors: Map<string, string> }

  /**
   * Writes the compose file and has Compose create the containers of the services to create (and
   * the network and volumes), without starting them: the executor starts each once its
   * dependencies allow, so Compose's own gating is never relied on (v1 counts a dependency with no
   * running container as healthy) and concurrent starts do not race to create the network.
   */
  async prepare(project: Project, plan: Plan, signal?: AbortSignal) {
    const file = this.composeFile(project)
    const env = compileProject(project).secrets
    const progress = new Map<string, (text: string) => void>()
    const watch = new ContainerWatch(project, (s, text) => progress.get(s)?.(text))
    const createErrors = new Map<string, string>()
    this.run = { file, env, watch, progress, createErrors }
    const creating = plan.steps.filter((s) => s.action === 'create').map((s) => s.service)
    if (!creating.length) return
    const r = await compose(project.name, file, ['up', '--no-start', '--no-deps', ...creating], { env, signal })
    if (!r.failed) return
    // One that cannot be created (an image that does not build) must not fail the others: each alone, to know which.
    for (const s of creating) {
      const one = await compose(project.name, file, ['up', '--no-start', '--no-deps', s], { env, signal })
      if (one.failed) createErrors.set(s, createError(project.services[s]?.image, String(one.all ?? one.stderr)))
    }
  }

  async start(project: Project, step: Step, opts: { signal?: AbortSignal; progress(text: string): void }) {
    const run = this.run!
    run.progress.set(step.service, opts.progress)
    const error = run.createErrors.get(step.service)
    if (error) throw new ServiceFailed(step.service, error)
    const created = step.action === 'create' && (await containers(project.name)).find((c) => c.service === step.service && c.state !== 'running')
    // Created by prepare (or there from before, stopped): started as it is. Else Compose (re)creates it.
    const r = created
      ? await docker(['start', created.id], { all: true })
      : await compose(project.name, run.file, ['up', '-d', '--no-deps', ...(step.action === 'update' ? ['--force-recreate'] : []), step.service], { env: run.env, signal: opts.signal })
    // Ctrl-C reaches compose too, which then ends without a word: the reason was an empty line.
    if (r.failed) throw new ServiceFailed(step.service, interruptedRun(r, opts.signal) ? 'interrupted' : lastLines(String(r.all ?? r.stderr), 3) || `docker ${created ? 'start' : 'compose up'} ended with ${r.exitCode ?? r.signal}`)
  }

  async stop(project: Project, service: string, opts: { remove: boolean }) {
    const ids = (await containers(project.name)).filter((c) => c.service === service).map((c) => c.id)
    if (!ids.length) return
    // Gone from the compose file, a removed service cannot be named to Compose: its containers go directly.
    const r = await docker(opts.remove ? ['rm', '-f', ...ids] : ['stop', ...ids], { all: true })
    if (r.failed) throw new ServiceFailed(service, lastLines(String(r.all), 2))
  }

  async waitFor(project: Project, service: string, condition: WaitCondition, signal?: AbortSignal) {
    const watch = this.run?.watch ?? new ContainerWatch(project, () => {})
    try {
      await watch.waitFor(service, condition, signal, this.run?.createErrors.get(service))
    } finally {
      if (!this.run) watch.close()
    }
  }

  async finish(project: Project, plan: Plan) {
    this.run?.watch.close()
    this.run = undefined
    await this.record(project, plan)
  }

  async down(project: Project, services: string[], opts: { progress: Progress; volumes: boolean }): Promise<DownResult> {
    if (project.fromRecord) return { results: await downByLabel(project.name, services, opts) }
    const file = this.composeFile(project)
    const running = (await containers(project.name)).map((c) => c.service)
    const targets = services.length ? services : [...new Set(running)]
    for (const s of targets) opts.progress.update(s, 'stopping')
    const env = compileProject(project).secrets
    const r = services.length
      ? await compose(project.name, file, ['rm', '-f', '-s', ...(opts.volumes ? ['-v'] : []), ...services], { env })
      : await compose(project.name, file, ['down', '--remove-orphans', ...(opts.volumes ? ['--volumes'] : [])], { env })
    if (opts.volumes && services.length) {
      for (const s of services) await docker(['volume', 'rm', '-f', `${project.name}_${s}-data`])
    }
    const results: ServiceResult[] = targets.map((s) => (r.failed ? { service: s, status: 'failed', action: 'stop', reason: lastLines(String(r.all ?? r.stderr), 3), logs: [] } : { service: s, status: 'done', action: 'stop', ms: 0 }))
    for (const x of results) opts.progress.done(x)
    return { results }
  }

  async logs(project: Project, services: string[], opts: { follow: boolean; tail: number; signal: AbortSignal; write(line: string): void }) {
    const file = this.composeFile(project)
    const { execa } = await import('execa')
    const { composeCli } = await import('./engine.js')
    const cli = await composeCli()
    // v1 colours its prefixes even into a pipe or file: plain text unless writing to a terminal.
    const color = process.stdout.isTTY && !process.env.NO_COLOR
    const args = [...cli.args, '-p', project.name, '-f', file, 'logs', ...(color ? [] : ['--no-color']), ...(opts.follow ? ['-f'] : []), ...(opts.tail !== Infinity ? ['--tail', String(opts.tail)] : []), ...services]
    const child = execa(...tethered(cli.file, args), { reject: false, stdin: 'ignore', cancelSignal: opts.signal, env: { ...process.env, ...compileProject(project).secrets }, lines: false, buffer: false })
    let partial = ''
    child.stdout?.on('data', (d: Buffer) => {
      const lines = (partial + d.toString('utf8')).split('\n')
      partial = lines.pop() ?? ''
      // v1 starts with its own "Attaching to a_1, b_1" line, which belongs to no service.
      for (const l of lines) if (cli.v2 || !l.startsWith('Attaching to ')) opts.write(l)
    })
    await child
    if (partial) opts.write(partial)
  }

  /** Writes run_cache/ (unless the user drives their own compose file) and returns the file. */
  private composeFile(project: Project): string {
    if (!project.composeFile) ensureCompiled(project)
    const file = composeFileOf(project)
    if (!existsSync(file)) throw new PulpoError('compose-file', `compose file ${file} not found`)
    return file
  }

  async tail(project: Project, service: string): Promise<string[]> {
    const c = (await containers(project.name)).find((x) => x.service === service)
    if (!c) return []
    // stdout and stderr come through two pipes, so their lines interleave in no reliable order:
    // read them with Docker's timestamps and put them back in the order they were written.
    const r = await docker(['logs', '--timestamps', '--tail', String(LOG_LINES), c.id])
    // (RFC 3339 with trailing zeros trimmed: padded to nanoseconds, they sort as text.)
    const key = (t: string) => t.replace(/(\.\d*)?Z$/, (_, f: string | undefined) => `${(f ?? '.').padEnd(10, '0')}Z`)
    const lines = [String(r.stdout), String(r.stderr)].flatMap((out) => out.split('\n').filter(Boolean)).map((l) => ({ t: key(l.slice(0, l.indexOf(' '))), text: l.slice(l.indexOf(' ') + 1) }))
    return lines.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0)).map((l) => l.text).slice(-LOG_LINES)
  }

  private applied(project: Project): Record<string, { hash: string; fingerprint: Record<string, string>; shown?: Record<string, string> }> {
    try {
      return JSON.parse(readFileSync(appliedFile(project), 'utf8'))
    } catch {
      return {}
    }
  }

  /** Remembers the fingerprints just applied, so the next plan can name the fields that change. */
  private async record(project: Project, plan: Plan) {
    const applied = this.applied(project)
    for (const s of Object.values(project.services)) {
      if (!plan.steps.some((c) => c.service === s.name)) continue
      const d = desiredService(s, project.dir)
      applied[s.name] = { hash: d.hash, fingerprint: d.fingerprint, ...(d.shown ? { shown: d.shown } : {}) }
    }
    privateDir(stateDirOf(project).root)
    writeAtomic(appliedFile(project), JSON.stringify(applied, null, 1))
  }
}

function lastLines(text: string, n: number): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-n).join('; ')
}

/**
 * Why a container could not be created, in one sentence: an image that could not be pulled says
 * which image and the daemon's reason (Compose v2 prints progress lines around it), else the
 * output's last lines.
 */
export function createError(image: string | undefined, output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean)
  const pulling = lines.findIndex((l) => /\bPulling\b|pull access denied|manifest unknown/i.test(l))
  if (!image || pulling < 0) return lastLines(output, 3)
  // v2: the daemon's answer; v1: the line after its "Pulling ..." line.
  const reason = lines.filter((l) => /^Error response from daemon:|^ERROR:/.test(l)).pop() ?? lines.slice(pulling + 1).pop()
  return `its image ${image} could not be pulled${reason ? `: ${reason.replace(/^(Error response from daemon|ERROR):\s*/, '')}` : ''}`
}
