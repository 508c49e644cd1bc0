/**
 * Datamodels against a real server, one project taken through its life: `up` creates the database
 * and the collections and indexes of pulpo.yaml; a unique index is really enforced; a second `up`
 * changes nothing; `plan` and `status` show drift; an index change is planned and applied; an index
 * only in the database is reported and dropped only with --prune-indexes; features the server
 * lacks are reported, not fatal. Everything is checked with the official driver.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { MongoClient } from 'mongodb'
import { client, collectionsOf, ensureBinary, freePort, indexesOf, json, Project, serverVersion, show, requireServer } from './helpers.js'

const yaml = (port: number, jobsIndexes: string, extra = '') => `version: 1
project: dm
services:
  db:
    kind: mongodb
    port: ${port}
datamodels:
  jobs:
    indexes:
${jobsIndexes}
  companies:
    database: crm
    collection: orgs
    indexes:
      - { keys: { name: 1 }, name: by_name, unique: true }
${extra}`

const JOBS = `      - { keys: { url: 1 }, unique: true }
      - { keys: { source: 1, posted: -1 } }`

let port: number
let project: Project
let db: MongoClient

requireServer()
before(ensureBinary)

describe('a project with datamodels', () => {
  before(async () => {
    port = await freePort()
    project = new Project({ 'pulpo.yaml': yaml(port, JOBS) })
    project.watchPorts(port)
  })
  after(async () => {
    await db?.close()
    await project?.dispose()
  })

  test('up starts the database and reports each datamodel change it made; the server answers at once', async () => {
    const r = await project.ok(['up'])
    for (const line of ['datamodel jobs: create collection dm.jobs', 'datamodel jobs: add index url_1 {url: 1} unique', 'datamodel jobs: add index source_1_posted_-1 {source: 1, posted: -1}', 'datamodel companies: create collection crm.orgs', 'datamodel companies: add index by_name {name: 1} unique']) {
      assert.ok(r.stdout.includes(line), `up reports "${line}": ${show(r)}`)
    }
    // Ready means ready: the first ping after `up` returns succeeds, no retrying.
    db = await client(port)
    assert.deepEqual(await db.db('admin').command({ ping: 1 }), { ok: 1 })
    const status = json(await project.ok(['status', '--json']))
    assert.deepEqual(
      status.services.map((s: { name: string; actual: string; health: string }) => [s.name, s.actual, s.health]),
      [['db', 'running', 'healthy']],
    )
  })

  test('the collections and indexes are those of pulpo.yaml (database default: the project name)', async () => {
    assert.deepEqual(await collectionsOf(db, 'dm'), ['jobs'])
    assert.deepEqual(await collectionsOf(db, 'crm'), ['orgs'])
    assert.deepEqual(await indexesOf(db, 'dm', 'jobs'), { url_1: { key: { url: 1 }, unique: true }, 'source_1_posted_-1': { key: { source: 1, posted: -1 } } })
    // The key order of a compound index is kept.
    const compound = (await db.db('dm').collection('jobs').listIndexes().toArray()).find((i) => i.name === 'source_1_posted_-1')
    assert.deepEqual(Object.keys(compound!.key), ['source', 'posted'])
    assert.deepEqual(await indexesOf(db, 'crm', 'orgs'), { by_name: { key: { name: 1 }, unique: true } })
  })

  test('a unique index is enforced: a duplicate insert is refused with E11000', async () => {
    const jobs = db.db('dm').collection('jobs')
    await jobs.insertOne({ url: 'https://example.org/1', title: 'one' })
    await assert.rejects(jobs.insertOne({ url: 'https://example.org/1', title: 'again' }), (e: { code?: number }) => e.code === 11000)
    await jobs.insertOne({ url: 'https://example.org/2', title: 'two' })
    assert.equal(await jobs.countDocuments(), 2)
    const orgs = db.db('crm').collection('orgs')
    await orgs.insertOne({ name: 'acme' })
    await assert.rejects(orgs.insertOne({ name: 'acme' }), (e: { code?: number }) => e.code === 11000)
  })

  test('re-applying is idempotent: a second up changes nothing and keeps the data', async () => {
    const before = { jobs: await indexesOf(db, 'dm', 'jobs'), orgs: await indexesOf(db, 'crm', 'orgs') }
    const pid = json(await project.ok(['status', '--json'])).services[0].pid
    const r = json(await project.ok(['up', '--json']))
    assert.deepEqual(r.datamodels, { applied: [], warnings: [] })
    assert.deepEqual(r.summary, { create: 0, update: 0, delete: 0, noop: 1 })
    const human = await project.ok(['up'])
    assert.doesNotMatch(human.stdout, /datamodel/, 'nothing to apply is reported as nothing')
    assert.match(human.stdout, /dm is up to date/)
    assert.deepEqual({ jobs: await indexesOf(db, 'dm', 'jobs'), orgs: await indexesOf(db, 'crm', 'orgs') }, before)
    assert.equal(await db.db('dm').collection('jobs').countDocuments(), 2)
    assert.equal(json(await project.ok(['status', '--json'])).services[0].pid, pid, 'the server was not restarted')
    await project.ok(['plan', '--detailed-exitcode'], 0)
  })

  test('status shows the server version and each datamodel in sync, in human and --json output', async () => {
    const { version, ferretdb } = await serverVersion(db)
    const s = json(await project.ok(['status', '--json']))
    assert.equal(s.servers.length, 1)
    assert.equal(s.servers[0].service, 'db')
    assert.ok(s.servers[0].version.includes(version), `version ${s.servers[0].version} has ${version}`)
    if (ferretdb) assert.ok(s.servers[0].version.includes(ferretdb), `version ${s.servers[0].version} has FerretDB's ${ferretdb}`)
    assert.deepEqual(
      s.datamodels.map((m: { name: string; service: string; namespace: string; state: string; changes: string[] }) => [m.name, m.service, m.namespace, m.state, m.changes]),
      [
        ['companies', 'db', 'crm.orgs', 'in-sync', []],
        ['jobs', 'db', 'dm.jobs', 'in-sync', []],
      ],
    )
    const human = (await project.ok(['status'])).stdout
    assert.ok(human.includes(`db: MongoDB ${s.servers[0].version}`), human)
    assert.ok(human.includes('datamodel jobs (dm.jobs): in sync'), human)
    assert.ok(human.includes('datamodel companies (crm.orgs): in sync'), human)
  })

  test('an index change is planned (plan --json, --detailed-exitcode 2) without restarting the server, then applied by up', async () => {
    const pid = json(await project.ok(['status', '--json'])).services[0].pid
    // url_1 loses unique; title_1 is new.
    project.write({ 'pulpo.yaml': yaml(port, `      - { keys: { url: 1 } }\n      - { keys: { source: 1, posted: -1 } }\n      - { keys: { title: 1 } }`) })
    const plan = json(await project.ok(['plan', '--json', '--detailed-exitcode'], 2))
    assert.deepEqual(plan.changes, [{ service: 'db', action: 'noop', reasons: [] }], 'an index change does not restart the database')
    const jobs = plan.datamodels.find((m: { name: string }) => m.name === 'jobs')
    assert.equal(jobs.state, 'drifted')
    assert.deepEqual(jobs.changes, ['change index url_1 {url: 1} unique to url_1 {url: 1}', 'add index title_1 {title: 1}'])
    assert.equal(plan.datamodels.find((m: { name: string }) => m.name === 'companies').state, 'in-sync')
    const human = await project.ok(['plan'])
    assert.match(human.stdout, /~ datamodel jobs/)
    assert.match(human.stdout, /1 datamodel to update/)
    const status = await project.ok(['status'])
    assert.ok(status.stdout.includes('datamodel jobs (dm.jobs): drifted'), status.stdout)
    assert.equal(json(await project.ok(['status', '--json'])).datamodels.find((m: { name: string }) => m.name === 'jobs').state, 'drifted')

    const up = await project.ok(['up'])
    assert.ok(up.stdout.includes('datamodel jobs: change index url_1 {url: 1} unique to url_1 {url: 1}'), show(up))
    assert.ok(up.stdout.includes('datamodel jobs: add index title_1 {title: 1}'), show(up))
    assert.deepEqual(await indexesOf(db, 'dm', 'jobs'), { url_1: { key: { url: 1 } }, 'source_1_posted_-1': { key: { source: 1, posted: -1 } }, title_1: { key: { title: 1 } } })
    // No longer unique: the duplicate goes in now.
    await db.db('dm').collection('jobs').insertOne({ url: 'https://example.org/1', title: 'dup' })
    assert.equal(json(await project.ok(['status', '--json'])).services[0].pid, pid, 'the server was not restarted')
    await project.ok(['plan', '--detailed-exitcode'], 0)
  })

  test('an index only in the database is reported and kept; only --prune-indexes drops it', async () => {
    await db.db('dm').collection('jobs').createIndex({ manual: 1 })
    // Reported, not a change: plan exits 0 and says how to drop it.
    const plan = await project.ok(['plan', '--detailed-exitcode'], 0)
    assert.match(plan.stdout, /manual_1 \{manual: 1\} is not in pulpo.yaml \(kept; --prune-indexes drops it\)/)
    const status = json(await project.ok(['status', '--json']))
    const jobs = status.datamodels.find((m: { name: string }) => m.name === 'jobs')
    assert.equal(jobs.state, 'in-sync')
    assert.ok(jobs.warnings.some((w: string) => w.includes('manual_1')), JSON.stringify(jobs))
    assert.match((await project.ok(['status'])).stdout, /! index manual_1/)

    const up = await project.ok(['up'])
    assert.match(up.stderr, /warning: datamodel jobs: index manual_1 \{manual: 1\} is not in pulpo.yaml/)
    assert.ok('manual_1' in (await indexesOf(db, 'dm', 'jobs')), 'up without --prune-indexes keeps it')

    const pruning = json(await project.ok(['plan', '--prune-indexes', '--json', '--detailed-exitcode'], 2))
    assert.deepEqual(pruning.datamodels.find((m: { name: string }) => m.name === 'jobs').changes, ['drop index manual_1 {manual: 1}'])
    const pruned = await project.ok(['up', '--prune-indexes'])
    assert.ok(pruned.stdout.includes('datamodel jobs: drop index manual_1 {manual: 1}'), show(pruned))
    assert.deepEqual(Object.keys(await indexesOf(db, 'dm', 'jobs')).sort(), ['source_1_posted_-1', 'title_1', 'url_1'])
    const clean = await project.ok(['plan', '--prune-indexes', '--detailed-exitcode'], 0)
    assert.doesNotMatch(clean.stdout, /manual_1/)
  })

  test('an index renamed in pulpo.yaml (same keys) replaces the old one', async () => {
    project.write({ 'pulpo.yaml': yaml(port, `      - { keys: { url: 1 } }\n      - { keys: { source: 1, posted: -1 } }\n      - { keys: { title: 1 }, name: by_title }`) })
    const plan = json(await project.ok(['plan', '--json', '--detailed-exitcode'], 2))
    assert.deepEqual(plan.datamodels.find((m: { name: string }) => m.name === 'jobs').changes, ['rename index title_1 {title: 1} to by_title {title: 1}'])
    await project.ok(['up'])
    assert.deepEqual(Object.keys(await indexesOf(db, 'dm', 'jobs')).sort(), ['by_title', 'source_1_posted_-1', 'url_1'])
    await project.ok(['plan', '--detailed-exitcode'], 0)
  })

  test('features the server lacks are reported by up, plan and status; the rest is applied and up succeeds', async () => {
    const FEATURES = `  features:
    schema:
      required: [url]
      properties: { url: { type: string } }
    indexes:
      - { keys: { created: 1 }, expire_after: 3600 }
      - { keys: { body: text } }
      - { keys: { tag: 1 }, sparse: true }
      - { keys: { h: hashed } }
      - { keys: { loc: 2dsphere } }
      - { keys: { plain: 1 } }
`
    // What the server can do, found the same way a user would: by trying, in a scratch database.
    const scratch = db.db('features_probe')
    const tries = (fn: () => Promise<unknown>) => fn().then(() => true, () => false)
    const can = {
      validator: await tries(() => scratch.createCollection('v', { validator: { $jsonSchema: { required: ['x'] } } })),
      ttl: await tries(() => scratch.collection('i').createIndex({ created: 1 }, { expireAfterSeconds: 3600 })),
      text: await tries(() => scratch.collection('i').createIndex({ body: 'text' })),
      sparse: (await tries(() => scratch.collection('i').createIndex({ tag: 1 }, { sparse: true }))) && (await scratch.collection('i').listIndexes().toArray()).some((i) => i.name === 'tag_1' && i.sparse),
      hashed: await tries(() => scratch.collection('i').createIndex({ h: 'hashed' })),
      '2dsphere': await tries(() => scratch.collection('i').createIndex({ loc: '2dsphere' })),
    }
    await scratch.dropDatabase()
    const FEATURE_WORDS: Record<keyof typeof can, string> = { validator: '$jsonSchema validators', ttl: 'TTL indexes', text: 'text indexes', sparse: 'sparse indexes', hashed: 'hashed indexes', '2dsphere': '2dsphere indexes' }
    const INDEX: Partial<Record<keyof typeof can, string>> = { ttl: 'created_1', text: 'body_text', sparse: 'tag_1', hashed: 'h_hashed', '2dsphere': 'loc_2dsphere' }

    project.write({ 'pulpo.yaml': yaml(port, `      - { keys: { url: 1 } }\n      - { keys: { source: 1, posted: -1 } }\n      - { keys: { title: 1 }, name: by_title }`, FEATURES) })
    const up = await project.ok(['up'])
    const indexes = await indexesOf(db, 'dm', 'features')
    assert.ok('plain_1' in indexes, 'a plain index of the same datamodel is created')
    const status = json(await project.ok(['status', '--json'])).datamodels.find((m: { name: string }) => m.name === 'features')
    const plan = await project.ok(['plan', '--detailed-exitcode'], 0)
    for (const [feature, supported] of Object.entries(can) as [keyof typeof can, boolean][]) {
      const words = FEATURE_WORDS[feature]
      const warned = (text: string) => text.includes(`does not support ${words}`) || text.includes(`not supported by the server: ${words}`)
      if (supported) {
        assert.ok(!warned(up.stderr), `${feature} is supported, and up does not say otherwise: ${show(up)}`)
        if (INDEX[feature]) assert.ok(INDEX[feature]! in indexes, `${feature}: index ${INDEX[feature]} created: ${JSON.stringify(indexes)}`)
      } else {
        assert.ok(warned(up.stderr), `up warns that the server lacks ${words}: ${show(up)}`)
        assert.ok(status.warnings.some(warned), `status --json warns that the server lacks ${words}: ${JSON.stringify(status)}`)
        assert.ok(warned(plan.stdout), `plan warns that the server lacks ${words}: ${show(plan)}`)
        if (INDEX[feature]) assert.ok(!(INDEX[feature]! in indexes), `${feature}: no index ${INDEX[feature]}`)
      }
    }
    // What cannot be done is not pending: the datamodel is in sync and stays so.
    assert.equal(status.state, 'in-sync', JSON.stringify(status))
    assert.deepEqual(status.changes, [])
    if (can.validator) await assert.rejects(db.db('dm').collection('features').insertOne({ title: 'no url' }), (e: { code?: number }) => e.code === 121)
    // Idempotent here too: the same warnings, nothing applied.
    const again = json(await project.ok(['up', '--json']))
    assert.deepEqual(again.datamodels.applied, [])
    // The capability probe leaves nothing behind.
    const dbs = (await db.db('admin').admin().listDatabases()).databases.map((d) => d.name)
    assert.deepEqual(dbs.filter((d) => d.startsWith('pulpo_probe')), [], `scratch databases left: ${dbs}`)
  })
})
