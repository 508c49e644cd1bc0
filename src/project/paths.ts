import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PulpoError } from '../errors.js'
import { sha256 } from '../util/sha256.js'

/** Where generated files go, under the project's directory (`pulpo compile`). */
export const RUN_CACHE = 'run_cache'

/** Where every project of a directory keeps its state: <dir>/.pulpo/ (one directory per project). */
export const stateRoot = (projectDir: string) => join(projectDir, '.pulpo')

/**
 * Where pulpo keeps one project's local state: <dir>/.pulpo/<project>/. Keyed by the project's
 * name, so two pulpo files in one directory never share state, logs, data, locks or a supervisor.
 */
export class StateDir {
  readonly root: string
  constructor(readonly projectDir: string, readonly project: string) {
    this.root = join(stateRoot(projectDir), project)
  }
  get state() {
    return join(this.root, 'state.json')
  }
  /** A state file the supervisor could not read, kept aside (backends/local/state-file.ts). */
  get unreadableState() {
    return join(this.root, 'state.json.unreadable')
  }
  /** What `up` applied (file, environment, services): what reaches the project without its file. */
  get record() {
    return join(this.root, 'project.json')
  }
  get lock() {
    return join(this.root, 'lock')
  }
  get supervisorLog() {
    return join(this.root, 'supervisor.log')
  }
  get logs() {
    return join(this.root, 'logs')
  }
  log(service: string) {
    return join(this.root, 'logs', `${service}.log`)
  }
  get dataRoot() {
    return join(this.root, 'data')
  }
  data(service: string) {
    return join(this.root, 'data', service)
  }
  /**
   * The supervisor's socket. A Unix socket path is limited to 107 bytes, so a deep project
   * directory gets one in the user's own directory of the temp directory (ownTempDir), named by a
   * hash of the project's state directory.
   */
  get socket() {
    const inside = join(this.root, 'supervisor.sock')
    if (Buffer.byteLength(inside) <= 100) return inside
    return join(ownTempDir(), `${sha256(this.root).slice(0, 16)}.sock`)
  }
}

let ownTemp: string | undefined

/**
 * `pulpo-<uid>` in the temp directory: made 0700, and refused unless it is a directory of the
 * user's own that nobody else may write to. A socket path others can create is one they could
 * listen on before the supervisor does, and `up` would hand them its services' environments.
 */
export function ownTempDir(): string {
  if (ownTemp) return ownTemp
  const uid = process.getuid?.() ?? 0
  const dir = join(tmpdir(), `pulpo-${uid}`)
  try {
    mkdirSync(dir, { mode: 0o700 })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  }
  const st = lstatSync(dir)
  const why = !st.isDirectory() ? 'not a directory' : st.uid !== uid ? `owned by uid ${st.uid}` : st.mode & 0o077 ? `mode 0${(st.mode & 0o777).toString(8)}` : undefined
  if (why) throw new PulpoError('temp-dir', `${dir} is not private to you (${why}): pulpo keeps a supervisor's socket there, where another user could listen in its place`, { hints: [`remove ${dir} (pulpo makes it again, 0700), or set TMPDIR to a directory of your own`] })
  return (ownTemp = dir)
}

/** The state directory of a project. */
export const stateDirOf = (project: { dir: string; name: string }) => new StateDir(project.dir, project.name)

/**
 * Creates a directory only its owner may enter (0700), and tightens one made before: state, logs
 * and the supervisor's socket live under it, and the directory is what keeps others out.
 */
export function privateDir(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 })
  const st = statSync(path)
  // A directory handed to another group on purpose (the postgres user's, to reach its data
  // directory) keeps that group's right to pass through; nothing else.
  const want = 0o700 | (st.gid !== process.getgid?.() ? st.mode & 0o010 : 0)
  if ((st.mode & 0o777) !== want) chmodSync(path, want)
  return path
}

/**
 * .pulpo/ itself, private and ignored by git: it holds logs (what services print, secrets
 * included) and data, and the contract says it is never committed, whatever the project's own
 * .gitignore says.
 */
export function pulpoRoot(projectDir: string): string {
  const root = privateDir(stateRoot(projectDir))
  const ignore = join(root, '.gitignore')
  if (!existsSync(ignore)) writeFileSync(ignore, '# Written by pulpo: state, logs and data of this directory are never committed.\n*\n', { mode: 0o600 })
  return root
}

/**
 * Makes .pulpo/ and what pulpo wrote there private (directories 0700, files 0600), for state
 * written by an older pulpo. A service's data directory holds the service's own files: only the
 * directory itself is closed, its content keeps the modes the service gave it.
 */
export function securePulpoDir(projectDir: string): void {
  const root = pulpoRoot(projectDir)
  const walk = (dir: string, depth: number) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      try {
        if (e.isDirectory()) {
          privateDir(p)
          if (e.name !== 'data' && depth < 3) walk(p, depth + 1)
          else if (e.name === 'data') for (const d of readdirSync(p)) privateDir(join(p, d))
        } else if ((e.isFile() || e.isSocket()) && (statSync(p).mode & 0o077) !== 0) chmodSync(p, 0o600)
      } catch {
        // Gone meanwhile (a temporary file renamed): nothing to tighten.
      }
    }
  }
  walk(root, 0)
}
