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
import { pulpo, removeDir, show, tempDir, writeFiles, type Run } from '../cli/helpers.js'
import { assertNothingLeft } from '../mongo/helpers.js'

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
export class Project {
  readonly dir: string
  constructor(files: Record<string, string>, readonly env: Record<string, string> = {}, private ports: number[] = []) {
    this.dir = tempDir(files)
    chmodSync(this.dir, 0o755)
  }

  run(...args: string[]): Promise<Run> {
    return pulpo(args, { cwd: this.dir, env: this.env })
  }

  async ok(args: string[], code = 0): Promise<Run> {
    const r = await this.run(...args)
    assert.equal(r.exitCode, code, `pulpo ${args.join(' ')}: ${show(r)}`)
    return r
  }

  write(files: Record<string, string>) {
    writeFiles(this.dir, files)
  }

  /** `pulpo down`: it must leave no process of the project and nothing on its ports. */
  async down(...flags: string[]): Promise<Run> {
    const r = await this.ok(['down', ...flags])
    await assertNothingLeft(this.dir, this.ports)
    return r
  }

  async dispose() {
    try {
      await this.down('--volumes')
    } finally {
      removeDir(this.dir)
    }
  }
}
