import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { COMPOSE_FILE, hasHealthcheck } from '../../compile/compose.js'
import { compileProject, ensureCompiled, RUN_CACHE } from '../../compile/index.js'
import type { Project } from '../../config/types.js'
import { PulpoError } from '../../errors.js'
import { desiredService } from '../../plan/desired.js'
import type { Actual, Plan } from '../../plan/plan.js'
import type { ApplyOptions, Backend, ServiceResult } from '../backend.js'
import { writeAtomic } from '../../project/atomic.js'
import { StateDir } from '../../project/paths.js'
import { tcpOpen } from '../../probes/attempt.js'
import { describeProbe } from '../../probes/probe.js'
import { compose, composeCli, docker } from './engine.js'
import { ContainerEvents } from './events.js'
import { containers, toActual, type Container } from './observe.js'

const LOG_LINES = 20

/** The compose file docker mode drives: the user's `compose_file`, else the generated one. */
function composeFileOf(project: Project): string {
  return project.composeFile ?? join(project.dir, RUN_CACHE, COMPOSE_FILE)
}

/** Fingerprints of what pulpo last applied (containers carry only the hash), for per-field reasons. */
function appliedFile(project: Project) {
  return join(new StateDir(project.dir).root, 'docker-applied.json')
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
      return known && known.hash === c.hash ? { ...a, fingerprint: known.fingerprint } : a
    })
    return { actual, notes: project.composeFile ? [`driving your compose file ${project.composeFile}`] : [] }
  }

  async apply(project: Project, plan: Plan, opts: ApplyOptions): Promise<ServiceResult[]> {
    const file = this.prepare(project)
    const changes = new Map(plan.changes.map((c) => [c.service, c]))
    const starting = plan.changes.filter((c) => c.action === 'create' || c.action === 'update').map((c) => c.service)
    const removed = plan.changes.filter((c) => c.action === 'delete').map((c) => c.service)
    const env = compileProject(project).secrets
    const results: ServiceResult[] = []
    const began = Date.now()

    if (removed.length) {
      // Gone from the compose file, so compose cannot name them: remove their containers directly.
      const ids = (await containers(project.name)).filter((c) => removed.includes(c.service)).map((c) => c.id)
      for (const s of removed) opts.progress.update(s, 'removing')
      const r = ids.length ? await docker(['rm', '-f', ...ids], { all: true }) : undefined
      for (const s of removed) {
        const result: ServiceResult = r?.failed ? { service: s, status: 'failed', action: 'delete', reason: lastLines(String(r.all), 2), logs: [] } : { service: s, status: 'done', action: 'delete', ms: 0 }
        opts.progress.done(result)
        results.push(result)
      }
    }
    // Databases with datamodels first, so their collections exist before anything that waits for them starts.
    const first = starting.filter((s) => project.services[s]?.kind === 'mongodb' && opts.afterReady)
    // docker-compose v1 counts a dependency with no running container as healthy (1.29's
    // is_healthy() looks at running containers only), so it started the dependents of a service
    // that crashed at start. With v1 pulpo gates itself: a level starts once the one before it is
    // ready. v2 gates correctly, and one `up` for all is faster, unless a dependent waits for a
    // log line (no healthcheck: the compose file says service_started, and pulpo gates it), or a
    // service is recreated with `--no-deps` (restart: true, pulpo restart), which skips compose's
    // gating too: the dependent was recreated before its new dependency was healthy.
    const { v2 } = await composeCli()
    const forcedOf = (s: string) => changes.get(s)?.reasons.some((r) => r.startsWith('dependency ') || r === 'restart requested')
    const depsIn = (s: string, p: string[]) => Object.entries(project.services[s]?.dependsOn ?? {}).filter(([d]) => p.includes(d))
    const logGated = (p: string[]) => p.some((s) => depsIn(s, p).some(([d, o]) => o.condition === 'healthy' && !hasHealthcheck(project.services[d])))
    const noDepsGated = (p: string[]) => p.some((s) => forcedOf(s) && depsIn(s, p).length)
    const phases = (first.length ? [first, starting.filter((s) => !first.includes(s))] : [starting]).flatMap((p) => (v2 && !logGated(p) && !noDepsGated(p) ? [p] : levels(project, p)))
    // Services that failed or were not started: what depends on them is not started (as in local mode).
    const blocked = new Map<string, string>()
    for (const all of phases) {
      const phase: string[] = []
      for (const s of all) {
        const dep = Object.keys(project.services[s]?.dependsOn ?? {}).find((d) => blocked.has(d))
        if (!dep) {
          phase.push(s)
          continue
        }
        const result: ServiceResult = { service: s, status: 'skipped', action: changes.get(s)!.action, reason: `not started: ${dep} ${blocked.get(dep)}` }
        blocked.set(s, 'was not started')
        opts.progress.done(result)
        results.push(result)
      }
      if (!phase.length) continue
      const forced = phase.filter(forcedOf)
      const normal = phase.filter((s) => !forced.includes(s))
      for (const s of phase) opts.progress.update(s, 'starting')
      // Each service's progress line says what its container is doing.
      const events = new ContainerEvents(project.name, (s, text) => phase.includes(s) && opts.progress.update(s, text))
      const runs = [
        ...(normal.length ? [['up', '-d', '--remove-orphans', ...normal]] : []),
        ...(forced.length ? [['up', '-d', '--no-deps', '--force-recreate', ...forced]] : []),
      ]
      let composeError = ''
      let outcome: Awaited<ReturnType<DockerBackend['waitReady']>>
      // The watcher must stop however this ends: left polling, it kept `pulpo up` from ever exiting
      // when compose could not run (Docker absent or stopped).
      try {
        for (const args of runs) {
          const r = await compose(project.name, file, args, { env, signal: opts.signal })
          if (r.failed) composeError = lastLines(String(r.all ?? r.stderr), 3)
        }
        outcome = await this.waitReady(project, phase, opts, composeError, events)
      } finally {
        events.close()
      }
      for (const s of phase) {
        const o = outcome.get(s)!
        const result: ServiceResult = o.ok
          ? { service: s, status: 'done', action: changes.get(s)!.action, ms: o.at - began }
          : o.skipped
            ? { service: s, status: 'skipped', action: changes.get(s)!.action, reason: o.reason }
            : { service: s, status: 'failed', action: changes.get(s)!.action, reason: o.reason, logs: await this.tail(project, s) }
        // A service of the user's compose_file is not in pulpo.yaml: there is nothing to prepare
        // (up's hook looked it up and failed with a TypeError).
        if (o.ok && opts.afterReady && project.services[s]) {
          try {
            await opts.afterReady(s, (t) => opts.progress.update(s, t))
          } catch (e) {
            Object.assign(result, { status: 'failed', reason: (e as Error).message, logs: [] })
          }
        }
        opts.progress.done(result)
        results.push(result)
        if (result.status !== 'done') blocked.set(s, result.status === 'failed' ? 'failed' : 'was not started')
      }
    }
    // Datamodels of databases that were already running are brought up to date too.
    for (const c of plan.changes) {
      if (c.action !== 'noop') continue
      if (opts.afterReady && project.services[c.service]?.kind === 'mongodb') await opts.afterReady(c.service, () => {})
      results.push({ service: c.service, status: 'done', action: 'noop', ms: 0 })
    }
    await this.record(project, plan)
    return results
  }

  async down(project: Project, services: string[], opts: ApplyOptions & { volumes: boolean }): Promise<ServiceResult[]> {
    const file = this.prepare(project)
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
    return results
  }

  async logs(project: Project, services: string[], opts: { follow: boolean; tail: number; signal: AbortSignal; write(line: string): void }) {
    const file = this.prepare(project)
    const { execa } = await import('execa')
    const { composeCli } = await import('./engine.js')
    const cli = await composeCli()
    // v1 colours its prefixes even into a pipe or file: plain text unless writing to a terminal.
    const color = process.stdout.isTTY && !process.env.NO_COLOR
    const args = [...cli.args, '-p', project.name, '-f', file, 'logs', ...(color ? [] : ['--no-color']), ...(opts.follow ? ['-f'] : []), ...(opts.tail !== Infinity ? ['--tail', String(opts.tail)] : []), ...services]
    const child = execa(cli.file, args, { reject: false, stdin: 'ignore', cancelSignal: opts.signal, env: { ...process.env, ...compileProject(project).secrets }, lines: false, buffer: false })
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
  private prepare(project: Project): string {
    if (!project.composeFile) ensureCompiled(project)
    const file = composeFileOf(project)
    if (!existsSync(file)) throw new PulpoError('compose-file', `compose file ${file} not found`)
    return file
  }

  /**
   * Waits until each service is ready: healthy when its container has a healthcheck, its log line
   * seen for a log probe, else running (or exited 0 for a job). A container that exits non-zero,
   * turns unhealthy after its start period, or is not ready by the probe's timeout has failed.
   */
  private async waitReady(project: Project, services: string[], opts: ApplyOptions, composeError: string, events: ContainerEvents): Promise<Map<string, Outcome>> {
    const out = new Map<string, Outcome>()
    const ready = (s: string) => out.set(s, { ok: true, at: Date.now() })
    const deadline = new Map(services.map((s) => [s, Date.now() + (project.services[s]?.ready?.timeoutMs ?? 60_000) + 5000]))
    const logSeen = new Map<string, boolean>()
    while (out.size < services.length) {
      const seen = events.generation
      if (opts.signal?.aborted) {
        for (const s of services) if (!out.has(s)) out.set(s, { ok: false, reason: 'interrupted' })
        break
      }
      const found = new Map((await containers(project.name)).filter((c) => c.state === 'running' || !out.has(c.service)).map((c) => [c.service, c]))
      for (const s of services) {
        if (out.has(s)) continue
        const c = found.get(s)
        const svc = project.services[s]
        // Compose does not start a service whose dependency failed (v2 leaves it `created`, v1
        // creates nothing): say so at once, as local mode does, instead of waiting out its timeout
        // and then calling it failed with compose's message.
        const failedDep = Object.keys(svc?.dependsOn ?? {}).find((d) => out.get(d)?.ok === false)
        if (failedDep && (!c || c.state === 'created')) {
          const o = out.get(failedDep) as { skipped?: true }
          out.set(s, { ok: false, skipped: true, reason: `not started: ${failedDep} ${o.skipped ? 'was not started' : 'failed'}` })
          continue
        }
        if (!c || c.state === 'created') {
          // Compose has returned: a container it did not start now never starts. Its dependencies
          // are decided first, so that it is reported as not started rather than failed.
          const waiting = Object.keys(svc?.dependsOn ?? {}).some((d) => services.includes(d) && !out.has(d))
          if (composeError && !waiting) out.set(s, { ok: false, reason: composeError })
          else if (Date.now() > deadline.get(s)!) out.set(s, { ok: false, reason: c ? 'its container was created but never started' : 'no container was created' })
          continue
        }
        if (c.state === 'exited' || c.state === 'dead') {
          if (c.exitCode === 0) ready(s)
          else out.set(s, { ok: false, reason: `exited with code ${c.exitCode}` })
          continue
        }
        if (c.health === 'healthy') ready(s)
        else if (c.health === 'unhealthy') out.set(s, { ok: false, reason: `unhealthy (${svc?.ready ? describeProbe(svc.ready) : 'healthcheck'})` })
        else if (!c.health && c.state === 'running') {
          if (svc?.ready?.kind === 'log') {
            if (!logSeen.get(s)) logSeen.set(s, await this.logMatches(c.id, svc.ready.pattern))
            if (logSeen.get(s)) ready(s)
          } else if (svc?.ready?.kind === 'tcp' && !(await tcpOpen('127.0.0.1', svc.ready.port, 1000))) {
            // Not yet: the published port does not accept connections.
          } else ready(s)
        }
        if (!out.has(s) && Date.now() > deadline.get(s)!) out.set(s, { ok: false, reason: `not ready after ${Math.round((svc?.ready?.timeoutMs ?? 60_000) / 1000)}s${composeError ? `: ${composeError}` : ''}` })
      }
      // Look again when a container event comes (start, health, exit), else after a while: soon
      // for what no event announces (a log line, a published port), and for deadlines.
      const quiet = services.some((s) => !out.has(s) && ['log', 'tcp'].includes(project.services[s]?.ready?.kind ?? '')) ? 200 : 1000
      if (out.size < services.length && events.generation === seen) await events.next(quiet, opts.signal)
    }
    return out
  }

  private async logMatches(container: string, pattern: string): Promise<boolean> {
    const r = await docker(['logs', container], { all: true })
    return String(r.all ?? '').split('\n').some((l) => new RegExp(pattern).test(l))
  }

  private async tail(project: Project, service: string): Promise<string[]> {
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

  private applied(project: Project): Record<string, { hash: string; fingerprint: Record<string, string> }> {
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
      if (!plan.changes.some((c) => c.service === s.name)) continue
      const d = desiredService(s, project.dir)
      applied[s.name] = { hash: d.hash, fingerprint: d.fingerprint }
    }
    mkdirSync(new StateDir(project.dir).root, { recursive: true })
    writeAtomic(appliedFile(project), JSON.stringify(applied, null, 1))
  }
}

/** Services in levels: each after the ones in the set it depends on (whatever the condition). */
function levels(project: Project, services: string[]): string[][] {
  const out: string[][] = []
  let left = services
  while (left.length) {
    const level = left.filter((s) => Object.keys(project.services[s]?.dependsOn ?? {}).every((d) => !left.includes(d)))
    // A cycle cannot pass validation; should one get here, start the rest together rather than loop.
    if (!level.length) return [...out, left]
    out.push(level)
    left = left.filter((s) => !level.includes(s))
  }
  return out
}

/** How a service's wait ended; `at` is when it was seen ready (its time in the progress line). */
type Outcome = { ok: true; at: number } | { ok: false; reason: string; skipped?: true }

function lastLines(text: string, n: number): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-n).join('; ')
}
