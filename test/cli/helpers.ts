/**
 * Shared by the CLI tests: they run the BUILT binary (dist/pulpo), the thing users get.
 *
 * PULPO_BIN=path runs the tests against another binary instead (and skips the build), e.g. a
 * variant built without one of scripts/build.mjs's flags, to check that a test can fail.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import net from 'node:net'
import { execa } from 'execa'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string }
export const BIN = process.env.PULPO_BIN ? resolve(process.env.PULPO_BIN) : join(ROOT, 'dist', 'pulpo')
export const EXAMPLE = join(ROOT, 'pulpo.example.yaml')

/** The newest modification time of a file or of any file under a directory. */
function newest(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false })
  if (!st) return 0
  if (!st.isDirectory()) return st.mtimeMs
  let max = st.mtimeMs
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)))
  return max
}

const isStale = () => {
  const bin = statSync(BIN, { throwIfNoEntry: false })
  if (!bin) return true
  const sources = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'schemas')), newest(join(ROOT, 'package.json')))
  return bin.mtimeMs < sources
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Builds dist/pulpo with `npm run build` when it is missing or older than anything in src/,
 * schemas/ or package.json. Test files run in parallel processes, so a lock directory keeps two
 * of them from building at once; whoever waits re-checks afterwards.
 */
export async function ensureBinary(): Promise<void> {
  if (process.env.PULPO_BIN) {
    assert.ok(statSync(BIN, { throwIfNoEntry: false })?.isFile(), `PULPO_BIN=${process.env.PULPO_BIN}: no such file`)
    return
  }
  const lock = join(ROOT, 'dist', '.build-lock')
  mkdirSync(join(ROOT, 'dist'), { recursive: true })
  for (const started = Date.now(); ; ) {
    if (!isStale()) return
    try {
      mkdirSync(lock)
    } catch {
      // Someone else is building. A lock older than 5 minutes is left over from a killed run.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now())
      if (age > 300_000) rmSync(lock, { recursive: true, force: true })
      if (Date.now() - started > 600_000) throw new Error('timed out waiting for another build of dist/pulpo')
      await sleep(250)
      continue
    }
    try {
      if (isStale()) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
    } finally {
      rmdirSync(lock)
    }
  }
}

export interface Run {
  exitCode: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd?: string
  /** The whole environment of the process (nothing is inherited except PATH, unless given). */
  env?: Record<string, string>
}

/**
 * Runs the binary with a clean environment: PATH only, plus what the test gives. Nothing from the
 * developer's shell (PULPO_ENV, NO_COLOR, FORCE_COLOR, API_TOKEN...) leaks into a test.
 */
export async function pulpo(args: string[], opts: RunOptions = {}): Promise<Run> {
  const r = await execa(BIN, args, {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...opts.env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
  })
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }
}

/** A stack trace line such as `    at loadProject (src/config/load.ts:12:3)`. */
export const STACK_TRACE = /\n\s+at .*\(/

export function assertNoStackTrace(r: Run): void {
  assert.doesNotMatch(r.stderr, STACK_TRACE, `stderr has a stack trace:\n${r.stderr}`)
  assert.doesNotMatch(r.stdout, STACK_TRACE, `stdout has a stack trace:\n${r.stdout}`)
}

/** A fresh temporary directory, optionally with files (paths relative to it). */
export function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulpo-cli-'))
  writeFiles(dir, files)
  return dir
}

/** Writes files (paths relative to `dir`), creating directories as needed. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
}

export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true })

/** Distinct free ports on 127.0.0.1 (a port is only free until something takes it: ask for all at once). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer()
      s.once('error', reject)
      s.listen({ host: '127.0.0.1', port: 0 }, () => resolve(s))
    })),
  )
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

/** A process's exit code and output, for assertion messages. */
export const show = (r: Run) => `exit ${r.exitCode}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`

export const ANSI = /\u001b\[[0-9;]*m/

/** Stdout parsed as JSON, or a failure that shows the whole run. */
export function stdoutJson(r: Run) {
  try {
    return JSON.parse(r.stdout)
  } catch {
    assert.fail(`stdout is not JSON: ${show(r)}`)
  }
}

/**
 * A path in a project's state directory, `.pulpo/<project>/`: the one project recorded in `dir`
 * (tests run one project per directory), else the project named after the directory as pulpo
 * names it.
 */
export function stateDir(dir: string, ...rel: string[]): string {
  const root = join(dir, '.pulpo')
  let subdirs: string[] = []
  try {
    subdirs = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)
  } catch {}
  const name = subdirs.length === 1 ? subdirs[0] : dir.split('/').pop()!.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'pulpo'
  return join(root, name, ...rel)
}
