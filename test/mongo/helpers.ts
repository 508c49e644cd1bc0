/**
 * Shared by the MongoDB tests: a project in a temporary directory run with the BUILT binary against
 * a real MongoDB-wire server (mongod when on PATH, else FerretDB from $PULPO_FERRETDB, as pulpo
 * itself chooses), checked with the official driver.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import net from 'node:net'
import { MongoClient } from 'mongodb'
import { pulpo, removeDir, show, tempDir, writeFiles, type Run } from '../cli/helpers.js'

export { ROOT, ensureBinary, show, type Run } from '../cli/helpers.js'

const onPath = (cmd: string) => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)))

/**
 * The environment pulpo needs to run kind: mongodb. Throws (so the tests FAIL, not skip) when there
 * is no server to test against.
 */
export function serverEnv(): Record<string, string> {
  if (onPath('mongod')) return {}
  const ferret = process.env.PULPO_FERRETDB
  if (!ferret) throw new Error('no MongoDB-wire server to test against: mongod is not on PATH and PULPO_FERRETDB is not set. Run `eval "$(scripts/setup-mongodb.sh)"` first (scripts/test.sh does).')
  if (!existsSync(ferret)) throw new Error(`PULPO_FERRETDB=${ferret}: no such file. Run \`eval "$(scripts/setup-mongodb.sh)"\` again.`)
  return { PULPO_FERRETDB: ferret }
}

/**
 * A test of its own for the precondition, so that a missing server counts as a failed test (with
 * the reason), not only as the cancelled tests of a failed hook. Called first in each test file.
 */
export function requireServer(): void {
  test('a MongoDB-wire server to test against: mongod on PATH or $PULPO_FERRETDB', () => {
    serverEnv()
  })
}

/**
 * argv that runs a MongoDB-wire server on a port with its data in a directory, for a plain
 * `command:` service (the same server pulpo would pick for kind: mongodb).
 */
export function serverArgv(port: number, dataDir: string): string[] {
  if (onPath('mongod')) return ['mongod', '--dbpath', dataDir, '--bind_ip', '127.0.0.1', '--port', String(port)]
  const ferret = serverEnv().PULPO_FERRETDB
  return [ferret, '--handler=sqlite', `--sqlite-url=file:${dataDir}/`, `--state-dir=${dataDir}`, `--listen-addr=127.0.0.1:${port}`, '--debug-addr=127.0.0.1:0', '--telemetry=disable', '--log-level=error']
}

/** A TCP port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

import { freePorts } from '../cli/helpers.js'
export { freePorts }

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Whether something accepts TCP connections on the port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port })
    sock.once('connect', () => (sock.destroy(), resolve(true)))
    sock.once('error', () => resolve(false))
  })
}

/** A driver client on a local port (the test's own view of the database). */
export async function client(port: number): Promise<MongoClient> {
  const c = new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, { serverSelectionTimeoutMS: 5000 })
  await c.connect()
  return c
}

/** The server's version as `pulpo status` should show it: buildInfo's, plus FerretDB's own. */
export async function serverVersion(c: MongoClient): Promise<{ version: string; ferretdb?: string }> {
  const info = await c.db('admin').command({ buildInfo: 1 })
  return { version: String(info.version), ...(info.ferretdbVersion ? { ferretdb: String(info.ferretdbVersion) } : {}) }
}

/** The indexes of a collection as name → {key, unique...}, _id_ left out. */
export async function indexesOf(c: MongoClient, db: string, coll: string): Promise<Record<string, Record<string, unknown>>> {
  const list = await c.db(db).collection(coll).listIndexes().toArray()
  return Object.fromEntries(list.filter((i) => i.name !== '_id_').map(({ name, v: _v, ...rest }) => [name, rest]))
}

export async function collectionsOf(c: MongoClient, db: string): Promise<string[]> {
  return (await c.db(db).listCollections({}, { nameOnly: true }).toArray()).map((x) => x.name).sort()
}

/** Processes still running that belong to a project: their cwd, command line or environment is in it. */
export function processesIn(dir: string): { pid: number; cmd: string }[] {
  const real = realpathSync(dir)
  const inside = (s: string) => s.includes(real) || s.includes(dir)
  const out: { pid: number; cmd: string }[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      // A zombie has exited; it only waits for its parent to collect its exit status.
      if (/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${name}/stat`, 'utf8'))) continue
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim()
      let cwd = ''
      let environ = ''
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`)
        environ = readFileSync(`/proc/${name}/environ`, 'utf8')
      } catch {}
      if (inside(cmd) || cwd === real || cwd.startsWith(real + '/') || inside(environ)) out.push({ pid: Number(name), cmd })
    } catch {}
  }
  return out
}

/** Waits (bounded) until a condition holds; the condition's last value. Not a timing assertion. */
/**
 * After `pulpo down`: no process of the project and no listener on its ports. A leftover process is
 * killed (by pid) before the test fails, so one failure does not leak into the next test.
 */
export async function assertNothingLeft(dir: string, ports: number[]): Promise<void> {
  const left = await eventually(() => processesIn(dir), (l) => l.length === 0)
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL')
    } catch {}
  }
  assert.deepEqual(left, [], 'no process of the project is left after pulpo down')
  for (const port of ports) assert.equal(await eventually(() => listening(port), (l) => !l), false, `nothing listens on port ${port} after pulpo down`)
}

export async function eventually<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, limitMs = 15_000): Promise<T> {
  const end = Date.now() + limitMs
  for (;;) {
    const v = await fn()
    if (ok(v) || Date.now() > end) return v
    await sleep(100)
  }
}

export const json = (r: Run) => {
  try {
    return JSON.parse(r.stdout)
  } catch {
    assert.fail(`stdout is not JSON: ${show(r)}`)
  }
}

/**
 * A pulpo project in a temporary directory, run with the built binary and a clean environment
 * (`env` only); `ports` must have no listener left after `down`. The mongo and postgres tests' projects.
 */
export class TestProject {
  readonly dir: string
  protected ports: number[]

  constructor(files: Record<string, string>, readonly env: Record<string, string> = {}, ports: number[] = []) {
    this.dir = tempDir(files)
    this.ports = [...ports]
  }

  run(...args: string[]): Promise<Run> {
    return pulpo(args, { cwd: this.dir, env: this.env })
  }

  /** Runs a command that must exit with `code`; its result. */
  async ok(args: string[], code = 0): Promise<Run> {
    const r = await this.run(...args)
    assert.equal(r.exitCode, code, `pulpo ${args.join(' ')}: ${show(r)}`)
    return r
  }

  write(files: Record<string, string>) {
    writeFiles(this.dir, files)
  }

  /** Ports whose listeners must be gone after `down`. */
  watchPorts(...ports: number[]) {
    this.ports.push(...ports)
  }

  /**
   * `pulpo down` (optionally with more flags): it must succeed and leave no process of the project
   * and no listener on its ports. A leftover process is killed (by pid) before the test fails.
   */
  async down(...flags: string[]): Promise<Run> {
    const r = await this.ok(['down', ...flags])
    await assertNothingLeft(this.dir, this.ports)
    return r
  }

  /** down (with `flags`), then the directory removed (the after() of a test file). */
  async dispose(...flags: string[]) {
    try {
      await this.down(...flags)
    } finally {
      removeDir(this.dir)
    }
  }
}

/** A project whose mongodb services find FerretDB (or mongod) as the test setup made it. */
export class Project extends TestProject {
  constructor(files: Record<string, string>, env: Record<string, string> = {}) {
    super(files, { ...serverEnv(), ...env })
  }
}
