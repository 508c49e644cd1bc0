/**
 * What depends on a database: a `healthy` dependent starts only once the datamodels are applied
 * (it records what it finds when it starts); `ready: { mongodb: true }` on a plain process (a second
 * server started with `command:`) holds its dependents until the server answers a ping, and is not
 * fooled by a port that accepts connections but does not speak MongoDB; a datamodel the data
 * violates fails `up`, names itself, and holds back the dependents.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { client, ensureBinary, eventually, freePorts, json, Project, ROOT, serverArgv, show, requireServer } from './helpers.js'

requireServer()
before(ensureBinary)

const DRIVER = join(ROOT, 'node_modules', 'mongodb')

/**
 * A service that records, the moment it starts, what it finds in the database (each collection
 * with its index names, or the error), then stays up. Only the official driver, no retrying.
 */
const CHECKER = `const fs = require('fs')
const net = require('net')
const { MongoClient } = require(process.env.DRIVER)
const port = Number(new URL(process.env.MONGO_URL).port)
const listening = () => new Promise((resolve) => {
  const s = net.connect({ host: '127.0.0.1', port })
  s.once('connect', () => (s.destroy(), resolve(true)))
  s.once('error', () => resolve(false))
})
;(async () => {
  const report = { listening: await listening() }
  let c
  try {
    c = new MongoClient(process.env.MONGO_URL, { serverSelectionTimeoutMS: 1000, directConnection: true })
    await c.connect()
    const db = c.db(process.env.DB_NAME)
    report.collections = {}
    for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      report.collections[name] = (await db.collection(name).listIndexes().toArray()).map((i) => i.name).sort()
    }
  } catch (e) {
    report.error = String(e)
  } finally {
    await c?.close().catch(() => {})
  }
  fs.writeFileSync(process.env.REPORT, JSON.stringify(report))
  setInterval(() => {}, 1 << 30)
})()
`

// `url` of a kind: mongodb service is mongodb://host:port; that of a process service is http://
// even with a mongodb probe, so theirs is made from host and port.
const checker = (name: string, dep: string, db: string, url = `\${services.${dep}.url}`) => `  ${name}:
    command: [${JSON.stringify(process.execPath)}, check.cjs]
    env:
      DRIVER: ${JSON.stringify(DRIVER)}
      MONGO_URL: ${url}/
      DB_NAME: ${db}
      REPORT: ${name}.json
    depends_on: { ${dep}: healthy }
`

function report(project: Project, name: string): { listening: boolean; collections?: Record<string, string[]>; error?: string } {
  const file = join(project.dir, `${name}.json`)
  assert.ok(existsSync(file), `${name} wrote no report`)
  return JSON.parse(readFileSync(file, 'utf8'))
}

/** The reports are written once the process runs; `up` may return first. */
const reportWritten = (project: Project, name: string) => eventually(() => existsSync(join(project.dir, `${name}.json`)), Boolean)

describe('a dependent of a mongodb service (depends_on: healthy)', () => {
  const MODELS = Array.from({ length: 60 }, (_, i) => `m${String(i).padStart(2, '0')}`)
  let project: Project
  before(async () => {
    const [port] = await freePorts(1)
    project = new Project({
      'check.cjs': CHECKER,
      'pulpo.yaml': `version: 1
project: deps
services:
  db:
    kind: mongodb
    port: ${port}
${checker('app', 'db', 'deps')}
datamodels:
${MODELS.map((m) => `  ${m}:\n    indexes:\n      - { keys: { url: 1 }, unique: true }\n      - { keys: { source: 1, posted: -1 } }\n`).join('')}`,
    })
    project.watchPorts(port)
  })
  after(() => project?.dispose())

  test('starts only after every collection and index of the datamodels exists', async () => {
    const r = await project.ok(['up'])
    assert.equal((r.stdout.match(/datamodel m\d\d: add index/g) ?? []).length, MODELS.length * 2, show(r))
    await reportWritten(project, 'app')
    const seen = report(project, 'app')
    assert.equal(seen.error, undefined, JSON.stringify(seen))
    assert.deepEqual(seen.collections, Object.fromEntries(MODELS.map((m) => [m, ['_id_', 'source_1_posted_-1', 'url_1']])))
  })

  test('the database and the dependent run; the datamodels are in sync', async () => {
    const s = json(await project.ok(['status', '--json']))
    assert.deepEqual(
      s.services.map((x: { name: string; actual: string }) => [x.name, x.actual]),
      [
        ['app', 'running'],
        ['db', 'running'],
      ],
    )
    assert.ok(s.datamodels.every((m: { state: string }) => m.state === 'in-sync'), JSON.stringify(s.datamodels))
  })
})

describe('ready: { mongodb: true } on a process service', () => {
  let ports: number[]
  let project: Project
  before(async () => {
    ports = await freePorts(2)
    // The server starts late (as a big one recovering would): a dependent that did not wait for
    // the ping would find nothing listening.
    const late = ['/bin/sh', '-c', 'sleep 1; exec "$@"', 'late', ...serverArgv(ports[0], 'data2')]
    project = new Project({
      'check.cjs': CHECKER,
      'pulpo.yaml': `version: 1
project: ready
services:
  db2:
    command: ${JSON.stringify(late)}
    port: ${ports[0]}
    ready: { mongodb: true, interval: 100ms }
${checker('app2', 'db2', 'other', 'mongodb://${services.db2.host}:${services.db2.port}')}
  notmongo:
    command: [${JSON.stringify(process.execPath)}, -e, "require('net').createServer(() => {}).listen(${ports[1]}, '127.0.0.1')"]
    port: ${ports[1]}
    ready: { mongodb: true, interval: 100ms, timeout: 2s }
`,
    })
    project.write({ 'data2/.keep': '' })
    project.watchPorts(...ports)
  })
  after(() => project?.dispose())

  test('a second server started as a plain command: its dependent starts once it answers a ping', async () => {
    const r = await project.ok(['up', 'app2'])
    await reportWritten(project, 'app2')
    const seen = report(project, 'app2')
    assert.equal(seen.listening, true, `app2 found the server listening when it started: ${JSON.stringify(seen)}`)
    assert.equal(seen.error, undefined, JSON.stringify(seen))
    const s = json(await project.ok(['status', '--json']))
    assert.equal(s.services.find((x: { name: string }) => x.name === 'db2').health, 'healthy')
    assert.doesNotMatch(r.stdout, /datamodel/, 'a process service gets no datamodels')
    const c = await client(ports[0])
    try {
      assert.deepEqual(await c.db('admin').command({ ping: 1 }), { ok: 1 })
    } finally {
      await c.close()
    }
  })

  test('a port that accepts connections but does not speak MongoDB is not ready', async () => {
    const r = await project.ok(['up', 'notmongo'], 1)
    assert.match(r.stderr, /✖ notmongo: not ready after 2s \(mongodb ping on port \d+\)/, show(r))
  })
})

describe('a datamodel the data violates', () => {
  let port: number
  let project: Project
  const yaml = (indexes: string) => `version: 1
project: dup
services:
  db:
    kind: mongodb
    port: ${port}
${checker('app', 'db', 'dup')}
datamodels:
  jobs:
    indexes:
${indexes}
`
  before(async () => {
    ;[port] = await freePorts(1)
    project = new Project({ 'check.cjs': CHECKER, 'pulpo.yaml': yaml('      - { keys: { title: 1 } }') })
    project.watchPorts(port)
  })
  after(() => project?.dispose())

  test('a unique index over duplicate documents fails up, naming the datamodel; the dependent is not started', async () => {
    await project.ok(['up', 'db'])
    const c = await client(port)
    try {
      await c.db('dup').collection('jobs').insertMany([{ url: 'same' }, { url: 'same' }])
    } finally {
      await c.close()
    }
    project.write({ 'pulpo.yaml': yaml('      - { keys: { title: 1 } }\n      - { keys: { url: 1 }, unique: true }') })
    const r = await project.ok(['up'], 1)
    assert.match(r.stderr, /✖ db: datamodel jobs: could not add index url_1 \{url: 1\} unique: .*remove the duplicates/, show(r))
    assert.match(r.stderr, /not started: app \(db failed\)/, show(r))
    assert.equal(existsSync(join(project.dir, 'app.json')), false, 'app did not start')
    const s = json(await project.ok(['status', '--json']))
    assert.equal(s.services.find((x: { name: string }) => x.name === 'app').actual, 'absent')
    assert.deepEqual(s.datamodels.find((m: { name: string }) => m.name === 'jobs').changes, ['add index url_1 {url: 1} unique'])
  })

  test('once the duplicates are gone, up applies the index and starts the dependent', async () => {
    const c = await client(port)
    try {
      await c.db('dup').collection('jobs').deleteOne({ url: 'same' })
    } finally {
      await c.close()
    }
    const r = await project.ok(['up'])
    assert.ok(r.stdout.includes('datamodel jobs: add index url_1 {url: 1} unique'), show(r))
    await reportWritten(project, 'app')
    assert.deepEqual(report(project, 'app').collections, { jobs: ['_id_', 'title_1', 'url_1'] })
  })
})
