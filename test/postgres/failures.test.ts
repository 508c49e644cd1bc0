/**
 * Bad input around a postgres service: a clear located error, a non-zero exit, no stack trace,
 * nothing lost (a data directory is never deleted), the password never printed.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { assertNoStackTrace, removeDir, stateDir } from '../cli/helpers.js'
import { ensureBinary, freePorts, Project, requireServer } from './helpers.js'

const PASSWORD = 'first-Passw0rd'

const pgYaml = (port: number, extra = '') => `version: 1
project: pgbad
services:
  pg:
    kind: postgres
    port: ${port}
    persist: true
    databases: [app]
    env: { POSTGRES_PASSWORD: "\${PG_PASSWORD}" }
${extra}`

requireServer()
before(ensureBinary)

describe('postgres: bad input', () => {
  const projects: Project[] = []
  const project = (files: Record<string, string>, ports: number[] = []) => {
    const p = new Project(files, {}, ports)
    projects.push(p)
    return p
  }
  after(async () => {
    for (const p of projects) await p.dispose()
  })

  test('validate: a postgres service without a password, databases on another kind, database: naming a non-postgres service', async () => {
    // Not disposed with `down`: nothing of an invalid file ever runs.
    const p = new Project({
      'pulpo.yaml': `version: 1
services:
  pg:
    kind: postgres
  web:
    command: sleep 1
    databases: [x]
  prefect:
    kind: prefect
    port: 4200
    database: web
`,
    })
    const r = await p.run('validate')
    assert.equal(r.exitCode, 1)
    assertNoStackTrace(r)
    assert.match(r.stderr + r.stdout, /pulpo\.yaml:\d+:\d+.*postgres service 'pg' has no password/)
    assert.match(r.stderr + r.stdout, /'web' has databases but is not a postgres service/)
    assert.match(r.stderr + r.stdout, /database names 'web', which is not a postgres service/)
    removeDir(p.dir)
  })

  test('a port in use: said before anything starts, with who holds it', async () => {
    const [port] = await freePorts(1)
    const holder = net.createServer().listen(port, '127.0.0.1')
    try {
      const p = project({ '.env': `PG_PASSWORD=${PASSWORD}\n`, 'pulpo.yaml': pgYaml(port) })
      const r = await p.run('up')
      assert.equal(r.exitCode, 1)
      assertNoStackTrace(r)
      assert.match(r.stderr, new RegExp(`port ${port} is already in use`))
    } finally {
      holder.close()
    }
  })

  test('a wrong password (changed after the data was initialised): the server refuses it, pulpo says why and what to do', async () => {
    const [port] = await freePorts(1)
    const p = project({ '.env': `PG_PASSWORD=${PASSWORD}\n`, 'pulpo.yaml': pgYaml(port) }, [port])
    await p.ok(['up'])
    p.write({ '.env': 'PG_PASSWORD=another-Passw0rd\n' })
    const r = await p.run('up')
    assert.equal(r.exitCode, 1)
    assertNoStackTrace(r)
    assert.match(r.stderr, /refused the password of pulpo\.yaml for user 'postgres'/)
    assert.ok(!(r.stdout + r.stderr).includes('another-Passw0rd') && !(r.stdout + r.stderr).includes(PASSWORD))
    assert.ok(existsSync(stateDir(p.dir, 'data', 'pg', 'PG_VERSION')), 'the data directory is kept')
    p.write({ '.env': `PG_PASSWORD=${PASSWORD}\n` })
    await p.ok(['up'])
  })

  test('a data directory initialised by another major version: said, and never deleted', async () => {
    const [port] = await freePorts(1)
    const p = project({ '.env': `PG_PASSWORD=${PASSWORD}\n`, 'pulpo.yaml': pgYaml(port) })
    const data = join(p.dir, '.pulpo', 'pgbad', 'data', 'pg')
    mkdirSync(data, { recursive: true })
    writeFileSync(join(data, 'PG_VERSION'), '9\n')
    writeFileSync(join(data, 'precious'), 'rows')
    const r = await p.run('up')
    assert.equal(r.exitCode, 1)
    assertNoStackTrace(r)
    assert.match(r.stderr, /initialised by PostgreSQL 9/)
    assert.equal(readFileSync(join(data, 'precious'), 'utf8'), 'rows')
  })
})
