/**
 * Shared by the docker-mode tests: a real Docker engine (scripts/setup-docker.sh), images built
 * from the offline base image local/python:bookworm (nothing can be pulled), and the BUILT binary.
 *
 * Every test project has its own name, and its containers, volumes, network and images are removed
 * in `after` hooks (`cleanup`). Tests assert order from Docker's own timestamps (container start
 * times, healthcheck results), never durations.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { execa } from 'execa'
import { BIN, removeDir, writeFiles, type Run } from '../cli/helpers.js'

export { assertNoStackTrace, ensureBinary, show, writeFiles, type Run } from '../cli/helpers.js'

const run = promisify(execFile)
export const PROGRAMS = join(dirname(fileURLToPath(import.meta.url)), 'programs')
export const BASE_IMAGE = 'local/python:bookworm'

const answers = (file: string, args: string[]) => {
  try {
    execFileSync(file, args, { stdio: 'ignore', timeout: 30_000 })
    return true
  } catch {
    return false
  }
}

/** Why the engine tests cannot run here, or '' when they can. */
export const NO_ENGINE = !answers('docker', ['info'])
  ? 'no Docker daemon answers: run scripts/setup-docker.sh'
  : !answers('docker', ['image', 'inspect', BASE_IMAGE])
    ? `no ${BASE_IMAGE} image: run scripts/setup-docker.sh`
    : ''
/** Compose v2 (the `docker compose` plugin) and v1 (`docker-compose`), when installed. */
export const HAS_V2 = answers('docker', ['compose', 'version'])
export const HAS_V1 = answers('docker-compose', ['version'])
/** The versions to run the lifecycle under (v2 first: what most users have). */
export const COMPOSE_VERSIONS = [...(HAS_V2 ? ['v2'] : []), ...(HAS_V1 ? ['v1'] : [])] as const

/** A project name of its own for each test: containers, network and volumes are named after it. */
export function projectName(what: string): string {
  return `pt-${what}-${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`
}

/**
 * Runs the binary with PATH and HOME (the Docker CLI finds the compose plugin under ~/.docker),
 * plus what the test gives; nothing else from the developer's shell. Generous timeout: it bounds
 * how long a broken build takes to fail, and asserts nothing.
 */
export async function pulpo(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<Run> {
  const r = await execa(BIN, args, {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}), ...opts.env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 300_000,
  })
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }
}

export const docker = async (...args: string[]) => (await run('docker', args, { maxBuffer: 64 << 20 })).stdout

import { freePorts } from '../cli/helpers.js'
export { freePorts }

/**
 * Builds an image from a Dockerfile and files (a temporary context; programs/server.py is always
 * in it). Tag images with `testImage()` so `cleanup` removes them.
 */
export async function buildImage(tag: string, dockerfile: string, files: Record<string, string> = {}): Promise<string> {
  const ctx = mkdtempSync(join(tmpdir(), 'pulpo-img-'))
  try {
    writeFiles(ctx, { Dockerfile: dockerfile, 'server.py': readFileSync(join(PROGRAMS, 'server.py'), 'utf8'), ...files })
    await run('docker', ['build', '-q', '-t', tag, ctx], { maxBuffer: 16 << 20 })
    return tag
  } finally {
    removeDir(ctx)
  }
}

/** The app image most tests use: the base image (python3, no curl, no wget) with programs/server.py. */
export const APP_DOCKERFILE = `FROM ${BASE_IMAGE}\nCOPY server.py /app/server.py\nCMD ["python3", "/app/server.py", "app"]\n`

export const testImage = (name: string) => `pulpo-test/${name}:${process.pid.toString(36)}`

/** What `docker inspect` says of a container, in the parts the tests read. */
export interface Inspected {
  Id: string
  Name: string
  Config: { Labels: Record<string, string>; Env: string[] }
  State: { Status: string; StartedAt: string; ExitCode: number; Health?: { Status: string; Log: { Start: string; End: string; ExitCode: number }[] } }
  HostConfig: { PortBindings: Record<string, { HostIp: string; HostPort: string }[] | null>; Init?: boolean }
  NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> }
}

/** Every container of a compose project (running or not). */
export async function containersOf(project: string): Promise<Inspected[]> {
  const ids = (await docker('ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`)).split('\n').filter(Boolean)
  if (!ids.length) return []
  return JSON.parse(await docker('inspect', ...ids)) as Inspected[]
}

/** The containers of a project by service name (one each; fails on duplicates). */
export async function byService(project: string): Promise<Record<string, Inspected>> {
  const out: Record<string, Inspected> = {}
  for (const c of await containersOf(project)) {
    const s = c.Config.Labels['com.docker.compose.service']
    if (out[s]) throw new Error(`two containers for service ${s}: ${out[s].Name} and ${c.Name}`)
    out[s] = c
  }
  return out
}

export const ids = (cs: Record<string, Inspected>) => Object.fromEntries(Object.entries(cs).map(([s, c]) => [s, c.Id]))

/** A Docker RFC 3339 timestamp ("2026-11-26T05:26:22.581606114Z") in nanoseconds, exactly. */
export function ns(ts: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts)
  if (!m) throw new Error(`not a timestamp: ${ts}`)
  const ms = Date.parse(m[1] + m[3])
  if (Number.isNaN(ms) || ms <= 0) throw new Error(`not a timestamp: ${ts}`)
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9))
}

/** A container that never started has StartedAt 0001-01-01T00:00:00Z. */
export const everStarted = (c: Inspected) => !c.State.StartedAt.startsWith('0001-')

export interface Probe {
  service: string
  container: string
  start: string
  end: string
  exitCode: number
}

/**
 * Records every healthcheck result of a project's containers while it runs. Docker keeps only the
 * last five results in .State.Health.Log, so the recorder inspects the containers a few times a
 * second and keeps all it has seen: when a service turned healthy is the end of its first
 * successful check.
 */
export class HealthRecorder {
  private seen = new Map<string, Probe>()
  private stopped = false
  private loop: Promise<void>

  constructor(private project: string) {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.poll().catch(() => {})
        await new Promise((r) => setTimeout(r, 150))
      }
    })()
  }

  private async poll() {
    for (const c of await containersOf(this.project)) {
      for (const p of c.State.Health?.Log ?? []) {
        this.seen.set(`${c.Id}/${p.Start}`, { service: c.Config.Labels['com.docker.compose.service'], container: c.Id, start: p.Start, end: p.End, exitCode: p.ExitCode })
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.loop
    await this.poll().catch(() => {})
  }

  /** The service's checks in the order they ran (of the given container, when named). */
  probes(service: string, container?: string): Probe[] {
    return [...this.seen.values()].filter((p) => p.service === service && (!container || p.container === container)).sort((a, b) => (ns(a.start) < ns(b.start) ? -1 : 1))
  }
}

/** Every file under a directory (recursively), with its text. */
export function filesUnder(dir: string): { path: string; text: string }[] {
  const st = statSync(dir, { throwIfNoEntry: false })
  if (!st?.isDirectory()) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [{ path: p, text: readFileSync(p, 'latin1') }] : []
  })
}

/**
 * Removes everything of a project, whatever state a failed test left it in: `pulpo down
 * --volumes`, then any container, volume and network that still carries the project's label.
 */
export async function cleanup(dir: string, project: string, env: Record<string, string> = {}): Promise<void> {
  await pulpo(['down', '--volumes'], { cwd: dir, env }).catch(() => {})
  const quiet = (...args: string[]) => run('docker', args).catch(() => ({ stdout: '' }))
  const label = `label=com.docker.compose.project=${project}`
  const containers = (await quiet('ps', '-a', '-q', '--filter', label)).stdout.split('\n').filter(Boolean)
  if (containers.length) await quiet('rm', '-f', '-v', ...containers)
  const volumes = (await quiet('volume', 'ls', '-q', '--filter', label)).stdout.split('\n').filter(Boolean)
  if (volumes.length) await quiet('volume', 'rm', '-f', ...volumes)
  const networks = (await quiet('network', 'ls', '-q', '--filter', label)).stdout.split('\n').filter(Boolean)
  if (networks.length) await quiet('network', 'rm', ...networks)
  removeDir(dir)
}

/** Removes images (and the build cache layers only they used). */
export async function removeImages(...tags: string[]): Promise<void> {
  if (tags.length) await run('docker', ['rmi', '-f', ...tags]).catch(() => {})
}

/** Leftovers of a project: containers, volumes and networks that carry its label. */
export async function leftovers(project: string): Promise<string[]> {
  const label = `label=com.docker.compose.project=${project}`
  const list = async (...args: string[]) => (await docker(...args, '--filter', label)).split('\n').filter(Boolean)
  return [...(await list('ps', '-a', '--format', 'container {{.Names}}')), ...(await list('volume', 'ls', '--format', 'volume {{.Name}}')), ...(await list('network', 'ls', '--format', 'network {{.Name}}'))]
}

/** GET http://127.0.0.1:PORT/PATH: the status and body, or the error's code. */
export async function get(port: number, path = '/'): Promise<{ status: number; body: string } | { error: string }> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000) })
    return { status: r.status, body: await r.text() }
  } catch (e) {
    return { error: String((e as { cause?: { code?: string } }).cause?.code ?? e) }
  }
}

export const tempProject = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'pulpo-docker-'))
  writeFiles(dir, files)
  return dir
}
