import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, openSync, closeSync, rmSync, statSync } from 'node:fs'
import net from 'node:net'
import { attemptFor, FIRST_PROBE_DELAY_MS, watchWrites } from '../../probes/attempt.js'
import { describeProbe, probeHost } from '../../probes/probe.js'
import { writeAtomic } from '../../project/atomic.js'
import { privateDir, type StateDir } from '../../project/paths.js'
import { groupGone, isAlive, procStat } from '../../util/procfs.js'
import type { WaitCondition } from '../../plan/conditions.js'
import type { Health, Request, Response, ServiceView } from './protocol.js'
import { probeContext, reloadable, runsWith, viewOf, type Managed } from './managed.js'
import { closed, Waits } from './waits.js'
import { serveSocket } from './socket.js'
import type { ProcessSpec } from './spec.js'
import { adoptedSpec, NOT_RESTARTED, refreshSpecs, stateOf, stateToAdopt } from './state-file.js'
import { kill, reapGroup, sleep } from './signals.js'
import { watchSources } from './watch.js'

const UNHEALTHY_AFTER = 3
/** Until a service is first ready it is probed at least this often, so readiness is seen within ~100 ms. */
const STARTUP_PROBE_MAX_MS = 100
const MAX_BACKOFF_MS = 30_000
/** A service that ran this long without exiting starts its restart count afresh. */
const STABLE_AFTER_MS = 10_000
const ADOPTED_POLL_MS = 250

/**
 * The per-project supervisor: owns the service processes, restarts them by policy, probes them,
 * and answers the CLI over a Unix socket. It runs detached from the CLI and survives it.
 */
export class Supervisor {
  private services = new Map<string, Managed>()
  private waits = new Waits()
  private saving = false
  private server?: net.Server

  constructor(private dirs: StateDir) {}

  async serve(): Promise<void> {
    privateDir(this.dirs.logs)
    this.adopt()
    await this.listen()
    const quit = () => void this.exit()
    process.on('SIGTERM', quit)
    process.on('SIGINT', quit)
    process.on('SIGHUP', () => {})
  }

  private async listen(): Promise<void> {
    this.server = await serveSocket(this.dirs.socket, (req, sock, interim) => this.handle(req, sock, interim))
    // Connecting needs write permission on the socket file: only the owner may talk to the
    // supervisor (Node cannot read the peer's uid; the 0700 state directory guards it as well).
    chmodSync(this.dirs.socket, 0o600)
  }

  private async handle(req: Request, sock: net.Socket, interim: (res: Response) => void): Promise<Response> {
    switch (req.op) {
      case 'status':
        return { ok: true, pid: process.pid, services: this.views() }
      case 'start':
        if (req.after && Object.keys(req.after).length) return this.startAfter(req.spec, req.after, sock, () => interim({ ok: true, held: true }))
        this.start(req.spec)
        return { ok: true }
      case 'refresh':
        refreshSpecs(this.services, req.specs)
        return { ok: true }
      case 'wait': {
        const m = this.services.get(req.name)
        if (!m) return { ok: false, error: `unknown service ${req.name}` }
        // The client going away (Ctrl-C) ends the wait.
        const r = await this.waits.until([[m, req.condition]], closed(sock))
        if (r === 'ok') return { ok: true }
        return r === 'aborted' ? { ok: false, error: 'client went away' } : { ok: false, error: r.fail, service: viewOf(m) }
      }
      case 'stop': {
        const m = this.services.get(req.name)
        if (!m) return { ok: true }
        const forced = await this.stop(m)
        if (req.forget) this.services.delete(req.name)
        this.changed()
        return { ok: true, forced }
      }
      case 'shutdown':
        setImmediate(() => void this.exit())
        return { ok: true }
    }
  }

  private views(): ServiceView[] {
    return [...this.services.values()].map(viewOf)
  }

  /** Starts a service (or restarts it with a new spec). Returns at once; `wait` follows progress. */
  private start(spec: ProcessSpec) {
    const existing = this.services.get(spec.name)
    if (runsWith(existing, spec)) return
    const m: Managed = existing ?? { spec, status: 'stopped', health: 'unknown', restarts: 0, consecutive: 0, adopted: false }
    m.spec = spec
    m.restarts = 0
    m.consecutive = 0
    // A failure shows the output of this start (its restarts included), not of earlier ones.
    m.logOffset = existsSync(spec.logFile) ? statSync(spec.logFile).size : 0
    this.services.set(spec.name, m)
    const begin = async () => {
      if (existing?.stopping) await existing.stopping
      if (m.status === 'running' || m.status === 'starting') await this.stop(m)
      this.spawn(m)
      this.watchFiles(m)
    }
    void begin()
  }

  /**
   * Starts a service once each service in `after` meets its condition (decided as `wait` decides
   * it), with no round trip to the CLI per level of the graph. `held` once it is registered (waits
   * on it now wait for this start); the answer once it is started, or refused.
   */
  private async startAfter(spec: ProcessSpec, after: Record<string, WaitCondition>, sock: net.Socket, held: () => void): Promise<Response> {
    const existing = this.services.get(spec.name)
    if (runsWith(existing, spec)) return { ok: true }
    const unknown = Object.keys(after).find((n) => !this.services.has(n))
    if (unknown) return { ok: false, error: `unknown service ${unknown}`, dependency: unknown }
    const deps = Object.entries(after).map(([n, condition]): [Managed, WaitCondition] => [this.services.get(n)!, condition])
    const m: Managed = existing ?? { spec, status: 'stopped', health: 'unknown', restarts: 0, consecutive: 0, adopted: false }
    const previous = m.spec
    existing?.held?.abort()
    const hold = (m.held = new AbortController())
    m.spec = spec
    this.services.set(spec.name, m)
    this.waits.notify()
    held()
    // Called off by a stop, or by the client going away (Ctrl-C: what has not started stays so).
    const r = await this.waits.until(deps, AbortSignal.any([hold.signal, closed(sock)]))
    if (m.held !== hold) return { ok: false, error: 'called off' }
    m.held = undefined
    if (r === 'ok') {
      this.start(spec)
      return { ok: true }
    }
    // Not started: a service nothing ever ran is forgotten again, as if never asked for.
    if (!existing) this.services.delete(spec.name)
    else m.spec = previous
    this.waits.notify()
    return r === 'aborted' ? { ok: false, error: 'called off' } : { ok: false, error: r.fail, dependency: r.name }
  }

  private spawn(m: Managed) {
    const spec = m.spec
    m.run?.abort()
    const run = (m.run = new AbortController())
    m.failure = undefined
    m.exitCode = undefined
    m.signal = undefined
    m.restartAt = undefined
    m.adopted = false
    m.health = 'unknown'
    privateDir(spec.dataDir)
    privateDir(this.dirs.logs)
    const logOffset = existsSync(spec.logFile) ? statSync(spec.logFile).size : 0
    const out = openSync(spec.logFile, 'a', 0o600)
    const [file, args] = typeof spec.command === 'string' ? ['/bin/sh', ['-c', spec.command]] : [spec.command[0], spec.command.slice(1)]
    let child: ChildProcess
    try {
      // detached: a process group of its own, so stop reaches its children and Ctrl-C in the
      // user's terminal does not. Output goes straight to the log file, so the service keeps
      // running (and logging) if this supervisor dies.
      child = spawn(file, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', out, out], ...(spec.user ?? {}) })
    } catch (e) {
      closeSync(out)
      this.exited(m, run, null, null, `cannot start: ${(e as Error).message}`)
      return
    }
    // The child holds its own copy of the descriptor.
    closeSync(out)
    m.child = child
    m.status = spec.probe ? 'starting' : 'running'
    m.startedAt = new Date().toISOString()
    child.once('error', (e) => this.exited(m, run, null, null, `cannot start ${JSON.stringify(file)}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'command not found' : e.message}`))
    child.once('exit', (code, signal) => this.exited(m, run, code, signal))
    if (child.pid) {
      m.pid = child.pid
      m.startTime = procStat(child.pid)?.startTime
    }
    this.changed()
    if (spec.probe) void this.probeLoop(m, run, logOffset)
    const stableTimer = setTimeout(() => {
      if (!run.signal.aborted) m.consecutive = 0
    }, STABLE_AFTER_MS)
    run.signal.addEventListener('abort', () => clearTimeout(stableTimer), { once: true })
  }

  /** Probes until ready (fast at first), then keeps watching health at the probe's interval. */
  private async probeLoop(m: Managed, run: AbortController, logOffset: number) {
    const probe = m.spec.probe!
    const attempt = attemptFor(probe, probeContext(m, logOffset))
    const deadline = Date.now() + probe.timeoutMs
    let delay = FIRST_PROBE_DELAY_MS
    // Polling alone sees a ready line up to STARTUP_PROBE_MAX_MS late, on every level of a DAG.
    const written = probe.kind === 'log' ? watchWrites(m.spec.logFile) : undefined
    run.signal.addEventListener('abort', () => written?.close(), { once: true })
    while (!run.signal.aborted) {
      if (await attempt(run.signal)) break
      if (run.signal.aborted) return
      if (Date.now() > deadline) {
        m.health = 'unhealthy'
        m.failure = `not ready after ${Math.round(probe.timeoutMs / 1000)}s (${describeProbe(m.spec.probe!, probeHost(m.spec.bind))})`
        this.changed()
        // It may still become ready; keep trying at the interval.
        delay = probe.intervalMs
      }
      await sleep(delay, run.signal, written?.next())
      delay = Math.min(delay * 2, STARTUP_PROBE_MAX_MS, probe.intervalMs)
    }
    written?.close()
    if (run.signal.aborted) return
    m.status = 'running'
    m.health = 'healthy'
    m.failure = undefined
    this.changed()
    if (probe.kind === 'log') return
    let failures = 0
    while (!run.signal.aborted) {
      await sleep(probe.intervalMs, run.signal)
      if (run.signal.aborted) return
      const ok = await attempt(run.signal)
      failures = ok ? 0 : failures + 1
      const health: Health = failures >= UNHEALTHY_AFTER ? 'unhealthy' : failures === 0 ? 'healthy' : m.health
      if (health !== m.health) {
        m.health = health
        // Said as a failure so that whoever waits for it to be healthy (an up, a dependent) is told
        // why at once instead of waiting for a probe that may never pass again.
        m.failure = health === 'unhealthy' ? `unhealthy: ${UNHEALTHY_AFTER} probes in a row failed (${describeProbe(m.spec.probe!, probeHost(m.spec.bind))})` : undefined
        this.changed()
      }
    }
  }

  private exited(m: Managed, run: AbortController, code: number | null, signal: NodeJS.Signals | null, failure?: string) {
    if (run.signal.aborted && !m.stopping) return
    run.abort()
    m.child = undefined
    if (m.pid) reapGroup(m.pid)
    m.exitCode = code
    m.signal = signal
    m.health = 'unknown'
    if (!m.stopping) m.lastExit = failure ? null : code
    if (m.stopping) {
      m.status = 'stopped'
      this.changed()
      return
    }
    const { policy, maxRestarts, backoffMs } = m.spec.restart
    const wants = !failure && !m.spec.envNotKept && (policy === 'always' || (policy === 'on-failure' && code !== 0))
    if (wants && (maxRestarts === undefined || m.consecutive < maxRestarts)) {
      const delay = Math.min(backoffMs * 2 ** m.consecutive, MAX_BACKOFF_MS)
      m.consecutive++
      m.restarts++
      m.status = 'starting'
      m.restartAt = Date.now() + delay
      const next = new AbortController()
      m.run = next
      m.restartTimer = setTimeout(() => {
        if (!next.signal.aborted) this.spawn(m)
      }, delay)
      this.changed()
      return
    }
    m.status = 'exited'
    const how = (failure ?? (signal ? `killed by ${signal}` : `exited with code ${code}`)) + (m.spec.envNotKept && !failure ? NOT_RESTARTED : '')
    m.failure = wants ? `${how}; gave up after ${m.consecutive} restart${m.consecutive === 1 ? '' : 's'}` : how
    this.changed()
  }

  /** Stops a service's whole process group: its stop signal, then SIGKILL after its timeout. */
  private stop(m: Managed): Promise<boolean> {
    if (m.stopping) return m.stopping
    m.held?.abort()
    m.held = undefined
    m.run?.abort()
    clearTimeout(m.restartTimer)
    m.restartAt = undefined
    m.watcher?.close()
    m.watcher = undefined
    const pid = m.pid
    if (!pid || (!isAlive(pid, m.startTime) && groupGone(pid))) {
      m.status = m.status === 'exited' ? 'exited' : 'stopped'
      return Promise.resolve(false)
    }
    m.status = 'stopping'
    this.changed()
    const pgid = pid
    // Our own child's exit ends a wait at once instead of at the next check (only once: after
    // it, what is left of the group is waited for by polling).
    let exited = false
    const exit = m.child && new Promise((resolve) => m.child!.once('exit', resolve)).then(() => (exited = true))
    const stopping = (async () => {
      const signal = m.spec.stop.signal as NodeJS.Signals
      kill(-pgid, signal)
      const deadline = Date.now() + m.spec.stop.timeoutMs
      let forced = false
      for (let wait = 10; ; wait = Math.min(wait * 2, 100)) {
        if (!isAlive(pid, m.startTime) && groupGone(pgid)) break
        if (Date.now() > deadline && !forced) {
          kill(-pgid, 'SIGKILL')
          forced = true
        }
        if (forced && Date.now() > deadline + 5000) break
        await sleep(wait, undefined, exited ? undefined : exit)
      }
      m.status = 'stopped'
      m.health = 'unknown'
      m.child = undefined
      this.changed()
      return forced
    })()
    // Cleared here, not at the end of the body: when the group is already gone at the first look,
    // the body runs to its end before this assignment, and a stale `stopping` made every later
    // stop of the service a no-op (its next process was left running after down).
    m.stopping = stopping
    void stopping.then(() => {
      if (m.stopping === stopping) m.stopping = undefined
    })
    return stopping
  }

  private watchFiles(m: Managed) {
    m.watcher?.close()
    m.watcher = watchSources(m.spec.watch, () => {
      if (!reloadable(m)) return
      // Whoever waits for this service keeps waiting through the restart.
      m.reloading = true
      void this.stop(m).then(() => {
        m.reloading = false
        this.spawn(m)
        this.watchFiles(m)
      })
    })
  }

  /** Takes over services a previous supervisor started that still run (pid and start time match). */
  private adopt() {
    const state = stateToAdopt(this.dirs)
    for (const [name, s] of Object.entries(state?.services ?? {})) {
      const m: Managed = { spec: adoptedSpec(s.spec), status: 'exited', health: 'unknown', restarts: s.restarts ?? 0, consecutive: 0, adopted: true, exitCode: s.exitCode, startedAt: s.startedAt, logOffset: typeof s.logOffset === 'number' ? s.logOffset : undefined }
      if (s.pid && (s.status === 'running' || s.status === 'starting') && isAlive(s.pid, s.startTime)) {
        Object.assign(m, { pid: s.pid, startTime: s.startTime, status: s.spec.probe ? 'starting' : 'running' })
        const run = (m.run = new AbortController())
        // A log line that said "ready" was written before this supervisor: trust the last one's word.
        if (s.spec.probe?.kind === 'log' && s.health === 'healthy') Object.assign(m, { status: 'running', health: 'healthy' })
        else if (s.spec.probe) void this.probeLoop(m, run, existsSync(s.spec.logFile) ? statSync(s.spec.logFile).size : 0)
        // Not our child: no exit event, so watch for it to go away.
        const poll = setInterval(() => {
          if (!isAlive(s.pid!, s.startTime)) {
            clearInterval(poll)
            this.exited(m, run, null, null)
          }
        }, ADOPTED_POLL_MS)
        run.signal.addEventListener('abort', () => clearInterval(poll), { once: true })
        this.watchFiles(m)
      } else if (s.status === 'stopped') m.status = 'stopped'
      this.services.set(name, m)
    }
    this.changed()
  }

  private changed() {
    this.waits.notify()
    // In this turn of the event loop, not debounced: a supervisor killed right after a spawn must
    // leave that pid on record. Once for what a change sets going at once (the spawns of held
    // dependents, which come before it), instead of a write of the whole state for each.
    if (this.saving) return
    this.saving = true
    queueMicrotask(() => {
      this.saving = false
      this.save()
    })
  }

  private save() {
    try {
      writeAtomic(this.dirs.state, JSON.stringify(stateOf(this.services.values()), null, 1))
    } catch {
      // The project directory went away; nothing left to record.
    }
  }

  private async exit() {
    this.save()
    this.server?.close()
    try {
      rmSync(this.dirs.socket)
    } catch {}
    process.exit(0)
  }
}
