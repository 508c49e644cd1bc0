/**
 * The database's life with `up` and `down`: data kept across down/up, removed by `down --volumes`
 * (and the datamodels created again); a server that never comes up, and one that dies at once,
 * fail `up` with their own log lines and hold back what depends on them.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { stateDir } from '../cli/helpers.js'
import { client, ensureBinary, freePort, indexesOf, json, listening, processesIn, Project, show, requireServer } from './helpers.js'

requireServer()
before(ensureBinary)

describe('data across down and up', () => {
  let port: number
  let project: Project
  before(async () => {
    port = await freePort()
    project = new Project({
      'pulpo.yaml': `version: 1
project: life
services:
  db:
    kind: mongodb
    port: ${port}
    persist: true
datamodels:
  jobs:
    indexes:
      - { keys: { url: 1 }, unique: true }
`,
    })
    project.watchPorts(port)
  })
  after(() => project?.dispose())

  test('up, write documents; down stops the server and every process of the project', async () => {
    await project.ok(['up'])
    const c = await client(port)
    try {
      await c.db('life').collection('jobs').insertMany([{ url: 'a' }, { url: 'b' }])
    } finally {
      await c.close()
    }
    // The check that follows down sees the project's processes while they run.
    const running = processesIn(project.dir).map((p) => p.cmd)
    assert.ok(running.some((cmd) => / supervise /.test(cmd)), `the supervisor is seen: ${running.join('\n')}`)
    assert.ok(running.length >= 2, `the supervisor and the server are seen: ${running.join('\n')}`)
    await project.down()
    assert.equal(await listening(port), false)
    assert.ok(readdirSync(stateDir(project.dir, 'data/db')).length > 0, 'the data directory is kept')
  })

  test('the next up serves the same data, with nothing to create', async () => {
    const r = await project.ok(['up'])
    assert.doesNotMatch(r.stdout, /create collection/, show(r))
    const c = await client(port)
    try {
      const jobs = c.db('life').collection('jobs')
      assert.deepEqual((await jobs.find({}, { projection: { _id: 0 } }).sort({ url: 1 }).toArray()), [{ url: 'a' }, { url: 'b' }])
      assert.deepEqual(await indexesOf(c, 'life', 'jobs'), { url_1: { key: { url: 1 }, unique: true } })
      await assert.rejects(jobs.insertOne({ url: 'a' }), (e: { code?: number }) => e.code === 11000)
    } finally {
      await c.close()
    }
  })

  test('down --volumes removes the data; the next up starts empty and creates the datamodels again', async () => {
    const r = await project.down('--volumes')
    assert.match(r.stdout, /data removed/)
    assert.equal(existsSync(stateDir(project.dir, 'data/db')), false, '.pulpo/<project>/data/db is gone')
    const up = await project.ok(['up'])
    assert.ok(up.stdout.includes('datamodel jobs: create collection life.jobs'), show(up))
    assert.ok(up.stdout.includes('datamodel jobs: add index url_1 {url: 1} unique'), show(up))
    const c = await client(port)
    try {
      assert.equal(await c.db('life').collection('jobs').countDocuments(), 0)
      assert.deepEqual(await indexesOf(c, 'life', 'jobs'), { url_1: { key: { url: 1 }, unique: true } })
    } finally {
      await c.close()
    }
  })
})

describe('a database without persist: true', () => {
  let port: number
  let project: Project
  before(async () => {
    port = await freePort()
    project = new Project({
      'pulpo.yaml': `version: 1
project: scratch
services:
  db:
    kind: mongodb
    port: ${port}
datamodels:
  jobs:
    indexes:
      - { keys: { url: 1 }, unique: true }
`,
    })
    project.watchPorts(port)
  })
  after(() => project?.dispose())

  test('loses its data on down (only persisted data survives); the next up creates the datamodels again', async () => {
    await project.ok(['up'])
    let c = await client(port)
    try {
      await c.db('scratch').collection('jobs').insertOne({ url: 'a' })
    } finally {
      await c.close()
    }
    await project.down()
    const up = await project.ok(['up'])
    assert.ok(up.stdout.includes('datamodel jobs: create collection scratch.jobs'), show(up))
    c = await client(port)
    try {
      assert.equal(await c.db('scratch').collection('jobs').countDocuments(), 0)
      assert.deepEqual(await indexesOf(c, 'scratch', 'jobs'), { url_1: { key: { url: 1 }, unique: true } })
    } finally {
      await c.close()
    }
  })
})

describe('a server that does not come up', () => {
  let ports: number[]
  let project: Project
  // A "server" that says something, then never listens (or dies), as a broken mongod would.
  const HANGS = '#!/bin/sh\necho "fake-mongod: starting on port $1"\necho "fake-mongod: waiting for the data directory lock"\nexec sleep 600\n'
  const DIES = '#!/bin/sh\necho "fake-mongod: starting on port $1"\necho "fake-mongod: FATAL: data directory is corrupt" >&2\nexit 100\n'
  before(async () => {
    ports = [await freePort(), await freePort()]
    project = new Project({
      'hangs.sh': HANGS,
      'dies.sh': DIES,
      'pulpo.yaml': `version: 1
project: broken
services:
  db:
    kind: mongodb
    command: [./hangs.sh, "${ports[0]}"]
    port: ${ports[0]}
    ready: { mongodb: true, interval: 200ms, timeout: 2s }
  app:
    command: sleep 600
    depends_on: { db: healthy }
  other:
    kind: mongodb
    command: [./dies.sh, "${ports[1]}"]
    port: ${ports[1]}
datamodels:
  jobs:
    service: db
    indexes:
      - { keys: { url: 1 } }
`,
    })
    chmodSync(join(project.dir, 'hangs.sh'), 0o755)
    chmodSync(join(project.dir, 'dies.sh'), 0o755)
    project.watchPorts(...ports)
  })
  after(() => project?.dispose())

  test('up fails (exit 1): the ready timeout, the probe, and the last log lines of each broken server', async () => {
    const r = await project.ok(['up'], 1)
    assert.match(r.stderr, /✖ db: not ready after 2s \(mongodb ping on port \d+\)/, show(r))
    assert.match(r.stderr, /fake-mongod: starting on port \d+\n.*fake-mongod: waiting for the data directory lock/, show(r))
    assert.match(r.stderr, /✖ other: .*(exited|code 100)/, show(r))
    assert.match(r.stderr, /fake-mongod: FATAL: data directory is corrupt/, show(r))
    // What waits for the database is held back.
    assert.match(r.stderr, /not started: app \(db failed\)/, show(r))
    assert.doesNotMatch(r.stdout, /datamodel jobs:/, 'nothing was applied')
  })

  test('--json: the failures with their log lines; status shows the dependent not started and the datamodel unknown', async () => {
    const r = json(await project.ok(['up', '--json'], 1))
    const byName = Object.fromEntries(r.results.map((x: { service: string }) => [x.service, x]))
    assert.equal(byName.db.status, 'failed')
    assert.match(byName.db.reason, /not ready after 2s/)
    assert.ok(byName.db.logs.some((l: string) => l.includes('waiting for the data directory lock')), JSON.stringify(byName.db))
    assert.equal(byName.other.status, 'failed')
    assert.ok(byName.other.logs.some((l: string) => l.includes('FATAL: data directory is corrupt')), JSON.stringify(byName.other))
    assert.equal(byName.app.status, 'skipped')
    assert.deepEqual(r.datamodels, { applied: [], warnings: [] })
    const s = json(await project.ok(['status', '--json']))
    const app = s.services.find((x: { name: string }) => x.name === 'app')
    assert.equal(app.actual, 'absent')
    assert.notEqual(s.services.find((x: { name: string }) => x.name === 'db').health, 'healthy')
    assert.deepEqual(
      s.datamodels.map((m: { name: string; state: string }) => [m.name, m.state]),
      [['jobs', 'unknown']],
    )
    assert.equal(s.servers.find((x: { service: string }) => x.service === 'db').version, undefined)
  })
})
