import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { privateDir } from '../project/paths.js'
import type { Stats } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Service } from '../config/types.js'
import { PulpoError } from '../errors.js'
import { builtin } from '../util/builtin.js'

// On first use (util/builtin.ts): kinds/kinds.ts reaches this module from every command that reads pulpo.yaml.
const childProcess = () => builtin<typeof import('node:child_process')>('node:child_process')

/** Where Debian's packages put each major version's server binaries (<major>/bin). */
const DEBIAN_ROOT = '/usr/lib/postgresql'

/** What Debian calls the package with the server binaries. */
export const DEBIAN_PACKAGE = 'postgresql'

/** The superuser's name and password of a postgres service: POSTGRES_USER (default postgres) and POSTGRES_PASSWORD, as the official image reads them. */
export function credentialsOf(s: Pick<Service, 'env'>): { user: string; password: string } {
  return { user: s.env.POSTGRES_USER || 'postgres', password: s.env.POSTGRES_PASSWORD ?? '' }
}

/** A directory of server binaries and the major version they are. */
export interface Binaries {
  dir: string
  major: number
}

const hasServer = (dir: string) => existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb'))

/**
 * The server binaries: those on PATH, else Debian's /usr/lib/postgresql/<major>/bin. A data
 * directory of another major version asks for that version when it is installed.
 */
export function findBinaries(path: string, want?: number, root = DEBIAN_ROOT): Binaries | undefined {
  const found: Binaries[] = []
  for (const dir of path.split(':')) if (dir && hasServer(dir)) found.push({ dir, major: majorOf(dir) })
  const debian = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of debian) if (hasServer(join(root, v, 'bin'))) found.push({ dir: join(root, v, 'bin'), major: Number(v) })
  return (want !== undefined ? found.find((b) => b.major === want) : undefined) ?? found[0]
}

function majorOf(dir: string): number {
  const r = childProcess().spawnSync(join(dir, 'postgres'), ['--version'], { encoding: 'utf8' })
  const m = /(\d+)(?:\.\d+)?/.exec(r.stdout ?? '')
  return m ? Number(m[1]) : 0
}

/** The major version a data directory was initialised by (its PG_VERSION), if it was. */
export function dataVersion(dataDir: string): number | undefined {
  try {
    return Number(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim())
  } catch {
    return undefined
  }
}

/** The binaries for a service's data directory, or a PulpoError that says what to install or why not. */
export function binariesFor(s: Service, dataDir: string, path: string, root = DEBIAN_ROOT): Binaries {
  const want = dataVersion(dataDir)
  const bins = findBinaries(path, want, root)
  if (!bins) {
    throw new PulpoError('postgres-missing', `service '${s.name}' (kind: postgres) needs the PostgreSQL server binaries (postgres, initdb), and none were found on PATH or under /usr/lib/postgresql/*/bin`, {
      hints: [`install Debian's '${DEBIAN_PACKAGE}' package (apt-get install ${DEBIAN_PACKAGE}), or put the server's bin directory on PATH`, 'or run this environment in docker mode'],
    })
  }
  if (want !== undefined && want !== bins.major) {
    throw new PulpoError('postgres-version', `service '${s.name}': its data directory ${dataDir} was initialised by PostgreSQL ${want}, and the server binaries found are PostgreSQL ${bins.major} (${bins.dir})`, {
      hints: [`install PostgreSQL ${want} (Debian: postgresql-${want}) to run it as it is, or upgrade the data with pg_upgrade`, 'pulpo does not delete it; `pulpo down --volumes` would, with everything in it'],
    })
  }
  return bins
}

/** The postgres user's account, when there is one. */
function postgresUser(): { uid: number; gid: number; name: string } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'))
  if (!line) return undefined
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid), name: 'postgres' }
}

/**
 * How the server runs: PostgreSQL refuses to run as root. Not root: as pulpo's own user. Root: as
 * the postgres user (Debian's package creates it) when it can enter the directories above the
 * data directory; else in a user namespace of its own where it is not root (`unshare --user`),
 * reading and writing the files as root does outside. A data directory already there says which
 * (by its owner), so a choice is never changed under existing data.
 */
export type RunAs = { kind: 'self' } | { kind: 'user'; uid: number; gid: number; name: string } | { kind: 'userns'; unshare: string }

export function runAs(dataDir: string, path = process.env.PATH ?? ''): RunAs {
  if (process.getuid?.() !== 0) return { kind: 'self' }
  const user = postgresUser()
  const owner = existsSync(dataDir) && readdirSync(dataDir).length ? statSync(dataDir).uid : undefined
  const unshare = path.split(':').map((dir) => join(dir, 'unshare')).find((f) => existsSync(f))
  if (user && (owner === user.uid || (owner === undefined && blockedAbove(dataDir, user) === undefined))) return { kind: 'user', ...user }
  if (unshare && owner !== user?.uid && childProcess().spawnSync(unshare, [...USERNS, 'true']).status === 0) return { kind: 'userns', unshare }
  const blocked = user ? blockedAbove(dataDir, user) : undefined
  throw new PulpoError('postgres-user', `PostgreSQL refuses to run as root${user ? `; user '${user.name}' cannot enter ${blocked ?? dataDir}` : ', and there is no postgres user to run it as'}, and this machine cannot run it in a user namespace (unshare --user)`, {
    hints: [user ? `let others enter ${blocked ?? dirname(dataDir)} (chmod o+x), or run pulpo as another user` : `install Debian's '${DEBIAN_PACKAGE}' package (it creates the user), or run pulpo as another user`],
  })
}

/** Inside the namespace the server is user 1000, which is root outside: the files stay root's. */
const USERNS = ['--user', '--map-user=1000', '--map-group=1000']

/** argv of a server binary, run as `runAs` says (the user's uid and gid are the spawn's). */
export function wrap(argv: string[], how: RunAs): string[] {
  return how.kind === 'userns' ? [how.unshare, ...USERNS, ...argv] : argv
}

/** The server's arguments: TCP on the environment's address only (no Unix socket, whose path could be too long). */
export function serverArgs(bins: Binaries, dataDir: string, bind: string, port: number): string[] {
  return [join(bins.dir, 'postgres'), '-D', dataDir, '-c', `listen_addresses=${bind}`, '-p', String(port), '-c', 'unix_socket_directories=']
}

/**
 * initdb, once: a data directory that has a PG_VERSION is left as it is. The superuser gets the
 * configured password through a password file (never on a command line), every connection must
 * authenticate with scram-sha-256, and a half-made directory of a failed initdb is not left behind.
 */
export function initOnce(s: Service, bins: Binaries, dataDir: string) {
  if (dataVersion(dataDir) !== undefined) return
  if (existsSync(dataDir) && readdirSync(dataDir).length) {
    throw new PulpoError('postgres-data', `service '${s.name}': ${dataDir} holds files but no PostgreSQL data directory (no PG_VERSION)`, { hints: ['pulpo does not delete it: move it away, or remove it with `pulpo down --volumes`'] })
  }
  const how = runAs(dataDir)
  const user = how.kind === 'user' ? how : undefined
  const { user: superuser, password } = credentialsOf(s)
  // Private like the rest of .pulpo/: below, only the postgres group is let through.
  privateDir(dirname(dataDir))
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const pwfile = join(dirname(dataDir), `.${s.name}.pw`)
  writeFileSync(pwfile, password + '\n', { mode: 0o600 })
  try {
    if (user) {
      chownSync(dataDir, user.uid, user.gid)
      chownSync(pwfile, user.uid, user.gid)
      letThrough(dataDir, user)
    }
    chmodSync(dataDir, 0o700)
    const [file, ...args] = wrap([join(bins.dir, 'initdb'), '-D', dataDir, '-U', superuser, `--pwfile=${pwfile}`, '--auth-local=scram-sha-256', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C'], how)
    const r = childProcess().spawnSync(file, args, {
      encoding: 'utf8',
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' },
    })
    if (r.status !== 0) {
      rmSync(dataDir, { recursive: true, force: true })
      throw new PulpoError('postgres-initdb', `service '${s.name}': initdb failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' ')}`)
    }
  } finally {
    rmSync(pwfile, { force: true })
  }
  // Clients from other hosts (an environment bound to a public address) authenticate like local ones.
  appendFileSync(join(dataDir, 'pg_hba.conf'), '\n# pulpo: any address, with a password\nhost all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n')
}

const canEnter = (st: Stats, user: { uid: number; gid: number }) => (st.uid === user.uid ? st.mode & 0o100 : st.gid === user.gid ? st.mode & 0o010 : st.mode & 0o001)

/** The first directory above .pulpo/ the user cannot enter, if any (.pulpo/, .pulpo/<project> and its data/ are pulpo's to open). */
function blockedAbove(dataDir: string, user: { uid: number; gid: number }): string | undefined {
  for (let dir = dirname(dirname(dirname(dirname(dataDir)))); dir !== dirname(dir); dir = dirname(dir)) {
    if (!canEnter(statSync(dir), user)) return dir
  }
  return undefined
}

/** pulpo's own directories (.pulpo/<project>/data, .pulpo/<project>, .pulpo) let the postgres group through when they would not, and nobody else. */
function letThrough(dataDir: string, user: { uid: number; gid: number }) {
  for (const dir of [dirname(dataDir), dirname(dirname(dataDir)), dirname(dirname(dirname(dataDir)))]) {
    const st = statSync(dir)
    if (canEnter(st, user)) continue
    chownSync(dir, st.uid, user.gid)
    chmodSync(dir, (st.mode & 0o777) | 0o010)
  }
}
