/**
 * A postgres service in docker mode, against a real engine: the generated service (image,
 * healthcheck with pg_isready, a named volume with persist: true, the fast-shutdown signal, the
 * password kept out of the file), its databases created from the host once it is healthy, data
 * kept across down/up and removed by down --volumes. No registry can be reached here, so `image:`
 * points at a stand-in built from Debian's postgresql (test/fixtures/postgres/standin); the
 * default stays postgres:16.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ROOT } from '../cli/helpers.js'
import { byService, cleanup, docker, NO_ENGINE, pulpo, show, writeFiles } from '../docker/helpers.js'
import { ensureBinary, freePorts, query } from './helpers.js'

const STANDIN = 'local/postgres:standin'
const PASSWORD = 'docker-Pg-secret'

/** The stand-in image, built once (about a minute: apt inside the build). */
function ensureStandin() {
  try {
    execFileSync('docker', ['image', 'inspect', STANDIN], { stdio: 'ignore' })
  } catch {
    execFileSync('docker', ['build', '-q', '-t', STANDIN, join(ROOT, 'test', 'fixtures', 'postgres', 'standin')], { stdio: 'ignore', timeout: 600_000 })
  }
}

/** A project directory with one postgres service (the stand-in) whose `ports` lines say where it listens. */
function pgProject(project: string, ports: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulpo-pg-docker-'))
  chmodSync(dir, 0o755)
  writeFiles(dir, {
    '.env': `PG_PASSWORD=${PASSWORD}\n`,
    'pulpo.yaml': `version: 1
project: ${project}
mode: docker
services:
  pg:
    kind: postgres
    image: ${STANDIN}
${ports}
    databases: [jobs]
    env: { POSTGRES_PASSWORD: "\${PG_PASSWORD}" }
`,
  })
  return dir
}

describe('postgres in docker mode', { skip: NO_ENGINE || undefined, timeout: 900_000 }, () => {
  const project = `pt-pg-${process.pid.toString(36)}`
  let dir: string
  let port: number
  const run = (...args: string[]) => pulpo(args, { cwd: dir })
  const ok = async (...args: string[]) => {
    const r = await run(...args)
    assert.equal(r.exitCode, 0, `pulpo ${args.join(' ')}: ${show(r)}`)
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), `the password is printed: ${show(r)}`)
    return r
  }

  before(async () => {
    await ensureBinary()
    ensureStandin()
    ;[port] = await freePorts(1)
    dir = pgProject(project, `    port: ${port}\n    persist: true`)
  })
  after(() => cleanup(dir, project))

  test('compile: the service has its healthcheck, volume and stop signal, and no password', async () => {
    await ok('compile')
    const file = readFileSync(join(dir, 'run_cache', 'docker-compose.yml'), 'utf8')
    assert.ok(!file.includes(PASSWORD))
    assert.match(file, /pg_isready/)
    assert.match(file, /pg-data:\/var\/lib\/postgresql\/data/)
    assert.match(file, /stop_signal: SIGINT/)
    assert.match(file, new RegExp(`image: ${STANDIN}`))
  })

  test('up: healthy, the listed database created, data written', async () => {
    const r = await ok('up')
    assert.match(r.stdout, /database pg\/jobs created/)
    const c = (await byService(project)).pg
    assert.equal(c.State.Health?.Status, 'healthy')
    const dbs = (await query(port, PASSWORD, 'SELECT datname FROM pg_database')).map((row) => row[0])
    assert.ok(dbs.includes('jobs'), dbs.join(', '))
    await query(port, PASSWORD, 'CREATE TABLE t (v text); INSERT INTO t VALUES ($$kept$$)', 'jobs')
    const again = await ok('up', '--json')
    assert.deepEqual(JSON.parse(again.stdout).databases.created, [])
  })

  test('down keeps the volume; up finds the data; down --volumes removes it', async () => {
    await ok('down')
    assert.match(await docker('volume', 'ls', '--format', '{{.Name}}'), new RegExp(`${project}_pg-data`))
    await ok('up')
    assert.deepEqual(await query(port, PASSWORD, 'SELECT v FROM t', 'jobs'), [['kept']])
    await ok('down', '--volumes')
    assert.doesNotMatch(await docker('volume', 'ls', '--format', '{{.Name}}'), new RegExp(`${project}_pg-data`))
  })
})

describe('postgres in docker mode, published on another host port', { skip: NO_ENGINE || undefined, timeout: 900_000 }, () => {
  const project = `pt-pgpub-${process.pid.toString(36)}`
  let dir: string
  after(() => dir && cleanup(dir, project))

  test('up creates its databases through the published port, and status sees them there', async () => {
    await ensureBinary()
    ensureStandin()
    const [published] = await freePorts(1)
    dir = pgProject(project, `    port: 5432\n    publish: ${published}`)
    const up = await pulpo(['up'], { cwd: dir })
    assert.equal(up.exitCode, 0, show(up))
    assert.match(up.stdout, /database pg\/jobs created/)
    const status = await pulpo(['status', '--json'], { cwd: dir })
    assert.equal(status.exitCode, 0, show(status))
    assert.deepEqual((JSON.parse(status.stdout) as { databases: { name: string; state: string }[] }).databases.map((d) => `${d.name} ${d.state}`), ['jobs present'])
    const dbs = (await query(published, PASSWORD, 'SELECT datname FROM pg_database')).map((row) => row[0])
    assert.ok(dbs.includes('jobs'), dbs.join(', '))
  })
})
