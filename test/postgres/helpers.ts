/**
 * Shared by the PostgreSQL tests: a project in a temporary directory run with the BUILT binary
 * against the real server binaries (pulpo finds them on PATH or under /usr/lib/postgresql), and
 * the test's own connection to check what pulpo did.
 */
import assert from 'node:assert/strict'
import { chmodSync, existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { PgConnection } from '../../src/postgres/wire.js'
import { TestProject } from '../mongo/helpers.js'

export { ensureBinary, freePorts, show, type Run } from '../cli/helpers.js'
export { eventually, json, listening, sleep } from '../mongo/helpers.js'

/** Whether PostgreSQL's server binaries are installed where pulpo looks. */
function serverInstalled(): boolean {
  const onPath = (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, 'postgres')) && existsSync(join(d, 'initdb')))
  const debian = existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(join('/usr/lib/postgresql', v, 'bin', 'postgres')))
  return onPath || debian
}

/** A failed test (not skipped ones) when there is no server to test against. */
export function requireServer(): void {
  test('PostgreSQL server binaries to test against (PATH or /usr/lib/postgresql/*/bin)', () => {
    assert.ok(serverInstalled(), "no PostgreSQL server binaries: install Debian's postgresql package (scripts/setup-postgres.sh does)")
  })
}

/** The test's own connection, as the superuser of a local postgres service. */
export function connect(port: number, password: string, database = 'postgres'): Promise<PgConnection> {
  return PgConnection.open({ host: '127.0.0.1', port, user: 'postgres', password, database })
}

export async function query(port: number, password: string, sql: string, database = 'postgres'): Promise<(string | null)[][]> {
  const c = await connect(port, password, database)
  try {
    return await c.query(sql)
  } finally {
    c.close()
  }
}

/** A pulpo project in a temporary directory the postgres user can enter (the server refuses to run as root). */
export class Project extends TestProject {
  constructor(files: Record<string, string>, env: Record<string, string> = {}, ports: number[] = []) {
    super(files, env, ports)
    chmodSync(this.dir, 0o755)
  }

  /** down --volumes (a test's data never outlives it), then the directory removed. */
  override dispose() {
    return super.dispose('--volumes')
  }
}
