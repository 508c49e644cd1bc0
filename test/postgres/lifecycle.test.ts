/**
 * A postgres service locally, for real: initialised once, ready, its databases created, data kept
 * across down/up and removed by down --volumes, a second up changes nothing, a killed server is
 * restarted by its restart policy with its data intact.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { stateDir } from '../cli/helpers.js'
import { ensureBinary, eventually, freePorts, json, Project, query, requireServer, show } from './helpers.js'

const PASSWORD = 'pg-Sup3r-secret'

const yaml = (port: number) => `version: 1
project: pglife
services:
  pg:
    kind: postgres
    port: ${port}
    persist: true
    restart: always
    backoff: 200ms
    databases: [jobs]
    env: { POSTGRES_PASSWORD: "\${PG_PASSWORD}" }
  app:
    command: echo "db at $$DATABASE_URL"; exec sleep 600
    env: { DATABASE_URL: "\${services.pg.url}/jobs" }
    depends_on: { pg: healthy }
`

requireServer()
before(ensureBinary)

describe('a local postgres service', () => {
  let port: number
  let project: Project
  const dataDir = () => stateDir(project.dir, 'data', 'pg')
  const status = async () => json(await project.ok(['status', '--json']))
  const pg = async () => (await status()).services.find((s: { name: string }) => s.name === 'pg')
  const noPassword = (r: { stdout: string; stderr: string }) => assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), `the password is printed: ${show(r as never)}`)

  before(async () => {
    ;[port] = await freePorts(1)
    project = new Project({ '.env': `PG_PASSWORD=${PASSWORD}\n`, 'pulpo.yaml': yaml(port) }, {}, [port])
  })
  after(() => project?.dispose())

  test('up initialises the data directory, waits until it accepts connections and creates the listed database', async () => {
    const r = await project.ok(['up'])
    noPassword(r)
    assert.match(r.stdout, /database pg\/jobs created/)
    assert.equal(readFileSync(join(dataDir(), 'PG_VERSION'), 'utf8').trim().length > 0, true)
    const s = await pg()
    assert.equal(s.actual, 'running')
    assert.equal(s.health, 'healthy')
    const dbs = (await query(port, PASSWORD, 'SELECT datname FROM pg_database')).map((row) => row[0])
    assert.ok(dbs.includes('jobs'), `databases: ${dbs.join(', ')}`)
    // Every connection authenticates: scram-sha-256 everywhere, trust nowhere.
    const hba = readFileSync(join(dataDir(), 'pg_hba.conf'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'))
    assert.ok(hba.length > 0 && hba.every((l) => /scram-sha-256\s*$/.test(l)), hba.join('\n'))
    // The app was given the URL with the password; pulpo's own outputs never show it.
    assert.match(readFileSync(stateDir(project.dir, 'logs', 'app.log'), 'utf8'), new RegExp(`postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/jobs`))
    const config = await project.ok(['config'])
    noPassword(config)
    assert.match(config.stdout, /postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1/)
    const st = await project.ok(['status'])
    noPassword(st)
    assert.match(st.stdout, /database jobs: present/)
    await query(port, PASSWORD, 'CREATE TABLE offers (id int PRIMARY KEY, title text); INSERT INTO offers VALUES (1, $$kept$$)', 'jobs')
  })

  test('a second up changes nothing', async () => {
    const before = await pg()
    const r = await project.ok(['up', '--json'])
    const out = json(r)
    assert.deepEqual(out.summary, { create: 0, update: 0, delete: 0, noop: 2 })
    assert.deepEqual(out.databases.created, [])
    assert.equal((await pg()).pid, before.pid)
    const plan = json(await project.ok(['plan', '--json']))
    assert.deepEqual(plan.resources.map((r: { id: string; action: string }) => `${r.id} ${r.action}`), ['database:pg/jobs noop'])
  })

  test('a killed postgres is restarted by its restart policy, and its data is intact', async () => {
    const { pid } = await pg()
    process.kill(pid, 'SIGKILL')
    const s = await eventually(pg, (v) => v.restarts >= 1 && v.health === 'healthy' && v.pid !== pid, 60_000)
    assert.equal(s.health, 'healthy', JSON.stringify(s))
    assert.deepEqual(await query(port, PASSWORD, 'SELECT title FROM offers WHERE id = 1', 'jobs'), [['kept']])
    assert.match(readFileSync(stateDir(project.dir, 'logs', 'pg.log'), 'utf8'), /database system was interrupted|automatic recovery|not properly shut down/)
  })

  test('down keeps the data (persist: true), with a fast shutdown; up finds it again', async () => {
    await project.down()
    assert.ok(existsSync(join(dataDir(), 'PG_VERSION')))
    assert.match(readFileSync(stateDir(project.dir, 'logs', 'pg.log'), 'utf8'), /received fast shutdown request/)
    await project.ok(['up'])
    assert.deepEqual(await query(port, PASSWORD, 'SELECT title FROM offers WHERE id = 1', 'jobs'), [['kept']])
  })

  test('down --volumes removes the data', async () => {
    await project.down('--volumes')
    assert.equal(existsSync(dataDir()), false)
  })
})
