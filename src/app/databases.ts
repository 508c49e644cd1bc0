import type { Project, Service } from '../config/types.js'
import { ServiceFailed } from '../backends/backend.js'
import type { ResourceStep } from '../plan/plan.js'
import { credentialsOf } from '../postgres/local.js'
import { ident, PG, PgConnection, PgError } from '../postgres/wire.js'
import { reach } from './reach.js'
import { mask } from '../util/mask.js'

/** A database a postgres service should hold, for plan and status. */
export interface DatabaseView {
  name: string
  service: string
  /** present: nothing to do; missing: `up` creates it; unknown: its server is not up. */
  state: 'present' | 'missing' | 'unknown'
}

/** A postgres server as status shows it: its version, or why it did not answer. */
export interface PostgresServerView {
  service: string
  version?: string
  error?: string
}

const postgresServices = (project: Project) => Object.values(project.services).filter((s) => s.kind === 'postgres')

/** Connects as the service's superuser, from this machine; a refused password says what to do. */
async function connect(project: Project, s: Service): Promise<PgConnection> {
  const { user, password } = credentialsOf(s)
  try {
    return await PgConnection.open({ ...(await reach(project, s.name)), user, password, database: 'postgres' })
  } catch (e) {
    if (e instanceof PgError && e.code === PG.badPassword) {
      throw new ServiceFailed(s.name, `it refused the password of pulpo.yaml for user '${user}' (POSTGRES_PASSWORD): its data was initialised with another one`, ["set POSTGRES_PASSWORD back to the one it was created with, or change it in the server (ALTER ROLE ... PASSWORD)", `\`pulpo down --volumes ${s.name}\` starts it afresh, and deletes its data`])
    }
    throw new ServiceFailed(s.name, `cannot connect as '${user}': ${mask((e as Error).message, project.secrets)}`)
  }
}

async function existing(conn: PgConnection): Promise<Set<string>> {
  return new Set((await conn.query('SELECT datname FROM pg_database')).map((r) => r[0]!))
}

/** The database steps of a plan: observed (plan, status) for the servers that run, else each to ensure once its server is ready (up). */
export function databaseSteps(project: Project, views: DatabaseView[] | undefined): ResourceStep[] {
  const step = (service: string, name: string, action: ResourceStep['action'], causes: ResourceStep['causes']): ResourceStep => ({ id: `database:${service}/${name}`, kind: 'database', name, service, where: `${service}/${name}`, action, causes })
  if (views) return views.filter((v) => v.state !== 'unknown').map((v) => (v.state === 'missing' ? step(v.service, v.name, 'create', [{ kind: 'differs', changes: ['does not exist'] }]) : step(v.service, v.name, 'noop', [])))
  return postgresServices(project).flatMap((s) => s.databases.map((d) => step(s.name, d, 'update', [{ kind: 'ensure' }])))
}

/** Each listed database of the postgres services that run: present or missing. A server that cannot be reached leaves its databases unknown. */
export async function observeDatabases(project: Project, running: Set<string>): Promise<{ databases: DatabaseView[]; servers: PostgresServerView[] }> {
  const databases: DatabaseView[] = []
  const servers: PostgresServerView[] = []
  for (const s of postgresServices(project)) {
    const unknown = () => databases.push(...s.databases.map((name) => ({ name, service: s.name, state: 'unknown' as const })))
    if (!running.has(s.name)) {
      servers.push({ service: s.name })
      unknown()
      continue
    }
    try {
      const conn = await connect(project, s)
      try {
        const [[version]] = await conn.query('SHOW server_version')
        servers.push({ service: s.name, version: version ?? undefined })
        const have = await existing(conn)
        databases.push(...s.databases.map((name) => ({ name, service: s.name, state: have.has(name) ? ('present' as const) : ('missing' as const) })))
      } finally {
        conn.close()
      }
    } catch (e) {
      servers.push({ service: s.name, error: (e as Error).message })
      unknown()
    }
  }
  return { databases, servers }
}

/** Creates the databases of one postgres service that do not exist yet; idempotent. Returns those it created. */
export async function ensureDatabases(project: Project, service: string, progress?: (text: string) => void): Promise<string[]> {
  const s = project.services[service]
  if (!s?.databases.length) return []
  progress?.(`creating databases (${s.databases.join(', ')})`)
  const conn = await connect(project, s)
  try {
    const have = await existing(conn)
    const created: string[] = []
    for (const name of s.databases.filter((d) => !have.has(d))) {
      // CREATE DATABASE has no IF NOT EXISTS: another up creating it at the same moment is not a failure.
      await conn.query(`CREATE DATABASE ${ident(name)}`).catch((e) => {
        if (!(e instanceof PgError && e.code === '42P04')) throw new ServiceFailed(service, `cannot create database '${name}': ${e.message}`)
      })
      created.push(`${service}/${name}`)
    }
    return created
  } finally {
    conn.close()
  }
}
