/**
 * The pure half of MongoDB datamodels (src/mongo/models.ts): index names, the canonical form of
 * validators, what listIndexes reports, and the diff between a datamodel and its collection.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { canonical, defaultIndexName, diffModel, modelSpecs, pending, serverIndex, type IndexSpec, type ModelChangeKind, type ModelSpec, type ModelState } from '../../src/mongo/models.js'
import type { Project } from '../../src/config/types.js'

describe('defaultIndexName', () => {
  const CASES: { key: Record<string, number | string>; name: string }[] = [
    { key: { url: 1 }, name: 'url_1' },
    { key: { posted: -1 }, name: 'posted_-1' },
    { key: { source: 1, title: -1 }, name: 'source_1_title_-1' },
    { key: { title: 'text' }, name: 'title_text' },
    { key: { loc: '2dsphere' }, name: 'loc_2dsphere' },
    { key: { h: 'hashed' }, name: 'h_hashed' },
    { key: { 'a.b': 1 }, name: 'a.b_1' },
    // The order of the keys is the index's order, and so the name's.
    { key: { b: 1, a: 1 }, name: 'b_1_a_1' },
  ]
  for (const c of CASES) test(`${JSON.stringify(c.key)} is ${c.name}`, () => assert.equal(defaultIndexName(c.key), c.name))
})

describe('canonical', () => {
  const SAME: { name: string; a: unknown; b: unknown }[] = [
    { name: 'object keys in another order', a: { b: 1, a: 2 }, b: { a: 2, b: 1 } },
    { name: 'nested objects in another order', a: { $jsonSchema: { required: ['url'], properties: { url: { type: 'string' } } } }, b: { $jsonSchema: { properties: { url: { type: 'string' } }, required: ['url'] } } },
    { name: 'objects inside arrays', a: [{ y: 1, x: 2 }], b: [{ x: 2, y: 1 }] },
    { name: 'null and null', a: null, b: null },
  ]
  for (const c of SAME) test(`equal: ${c.name}`, () => assert.equal(canonical(c.a), canonical(c.b)))

  const DIFFERENT: { name: string; a: unknown; b: unknown }[] = [
    { name: 'array order matters', a: { required: ['a', 'b'] }, b: { required: ['b', 'a'] } },
    { name: 'a number and its string', a: { n: 1 }, b: { n: '1' } },
    { name: 'an extra key', a: { a: 1 }, b: { a: 1, b: 2 } },
    { name: 'nothing and an empty object', a: null, b: {} },
    { name: 'a key whose name holds a quote', a: { 'a"': 1 }, b: { a: 1 } },
  ]
  for (const c of DIFFERENT) test(`different: ${c.name}`, () => assert.notEqual(canonical(c.a), canonical(c.b)))

  test('is deterministic JSON', () => assert.equal(canonical({ b: [1, { d: 'x', c: true }], a: null }), '{"a":null,"b":[1,{"c":true,"d":"x"}]}'))
})

describe('serverIndex (what listIndexes reports, in pulpo terms)', () => {
  const CASES: { name: string; doc: Record<string, unknown>; index: IndexSpec }[] = [
    { name: 'a plain index', doc: { v: 2, key: { url: 1 }, name: 'url_1' }, index: { name: 'url_1', key: { url: 1 } } },
    { name: 'unique', doc: { v: 2, key: { url: 1 }, name: 'url_1', unique: true }, index: { name: 'url_1', key: { url: 1 }, unique: true } },
    { name: 'unique: false is no option', doc: { v: 2, key: { url: 1 }, name: 'url_1', unique: false }, index: { name: 'url_1', key: { url: 1 } } },
    { name: 'sparse and TTL', doc: { v: 2, key: { t: 1 }, name: 't_1', sparse: true, expireAfterSeconds: 60 }, index: { name: 't_1', key: { t: 1 }, sparse: true, expireAfterSeconds: 60 } },
    { name: 'TTL 0 is kept', doc: { v: 2, key: { t: 1 }, name: 't_1', expireAfterSeconds: 0 }, index: { name: 't_1', key: { t: 1 }, expireAfterSeconds: 0 } },
    {
      name: "MongoDB's text index: _fts/_ftsx become the fields of its weights",
      doc: { v: 2, key: { _fts: 'text', _ftsx: 1 }, name: 'title_text_body_text', weights: { body: 1, title: 1 }, default_language: 'english', textIndexVersion: 3 },
      index: { name: 'title_text_body_text', key: { body: 'text', title: 'text' } },
    },
    {
      name: 'a compound text index keeps its other fields around the text ones',
      doc: { v: 2, key: { source: 1, _fts: 'text', _ftsx: 1, posted: -1 }, name: 'x', weights: { title: 1 } },
      index: { name: 'x', key: { source: 1, title: 'text', posted: -1 } },
    },
  ]
  for (const c of CASES) test(c.name, () => assert.deepEqual(serverIndex(c.doc), c.index))
})

const ix = (name: string, key: Record<string, number | string>, opts: Partial<IndexSpec> = {}): IndexSpec => ({ name, key, ...opts })
const ID: IndexSpec = ix('_id_', { _id: 1 })

function spec(indexes: IndexSpec[], validator?: Record<string, unknown>): ModelSpec {
  return { name: 'jobs', service: 'db', database: 'app', collection: 'jobs', indexes, ...(validator ? { validator } : {}) }
}
const state = (indexes: IndexSpec[], validator?: Record<string, unknown>): ModelState => ({ exists: true, indexes: [ID, ...indexes], ...(validator ? { validator } : {}) })
const SCHEMA = { $jsonSchema: { required: ['url'], properties: { url: { type: 'string' } } } }

describe('diffModel', () => {
  const CASES: { name: string; spec: ModelSpec; state: ModelState; prune?: boolean; changes: { kind: ModelChangeKind; detail: string | RegExp }[] }[] = [
    {
      name: 'a missing collection: created, then its validator and indexes',
      spec: spec([ix('url_1', { url: 1 }, { unique: true })], SCHEMA),
      state: { exists: false, indexes: [] },
      changes: [
        { kind: 'create-collection', detail: 'create collection app.jobs' },
        { kind: 'set-validator', detail: 'set the $jsonSchema validator' },
        { kind: 'add-index', detail: 'add index url_1 {url: 1} unique' },
      ],
    },
    { name: 'in sync: nothing (the _id_ index is never an extra)', spec: spec([ix('url_1', { url: 1 }, { unique: true })], SCHEMA), state: state([ix('url_1', { url: 1 }, { unique: true })], SCHEMA), changes: [] },
    {
      name: 'a validator with the same content in another key order is in sync',
      spec: spec([], { $jsonSchema: { required: ['url'], properties: { url: { type: 'string' } } } }),
      state: state([], { $jsonSchema: { properties: { url: { type: 'string' } }, required: ['url'] } }),
      changes: [],
    },
    { name: 'a changed validator', spec: spec([], SCHEMA), state: state([], { $jsonSchema: { required: ['title'] } }), changes: [{ kind: 'set-validator', detail: 'change the $jsonSchema validator' }] },
    { name: 'a validator removed from pulpo.yaml', spec: spec([]), state: state([], SCHEMA), changes: [{ kind: 'set-validator', detail: 'remove the validator' }] },
    { name: 'a new index', spec: spec([ix('url_1', { url: 1 }), ix('title_1', { title: 1 })]), state: state([ix('url_1', { url: 1 })]), changes: [{ kind: 'add-index', detail: 'add index title_1 {title: 1}' }] },
    {
      name: 'unique added to an index',
      spec: spec([ix('url_1', { url: 1 }, { unique: true })]),
      state: state([ix('url_1', { url: 1 })]),
      changes: [{ kind: 'change-index', detail: 'change index url_1 {url: 1} to url_1 {url: 1} unique' }],
    },
    {
      name: 'a TTL changed',
      spec: spec([ix('t_1', { t: 1 }, { expireAfterSeconds: 120 })]),
      state: state([ix('t_1', { t: 1 }, { expireAfterSeconds: 60 })]),
      changes: [{ kind: 'change-index', detail: 'change index t_1 {t: 1} ttl 60s to t_1 {t: 1} ttl 120s' }],
    },
    { name: 'sparse dropped', spec: spec([ix('s_1', { s: 1 })]), state: state([ix('s_1', { s: 1 }, { sparse: true })]), changes: [{ kind: 'change-index', detail: 'change index s_1 {s: 1} sparse to s_1 {s: 1}' }] },
    {
      name: 'the key order of a compound index matters',
      spec: spec([ix('mine', { a: 1, b: 1 })]),
      state: state([ix('mine', { b: 1, a: 1 })]),
      changes: [{ kind: 'change-index', detail: 'change index mine {b: 1, a: 1} to mine {a: 1, b: 1}' }],
    },
    { name: 'a direction changed under an explicit name', spec: spec([ix('by_date', { posted: -1 })]), state: state([ix('by_date', { posted: 1 })]), changes: [{ kind: 'change-index', detail: /^change index by_date/ }] },
    {
      name: 'the fields of a text index in another order are the same index',
      spec: spec([ix('t', { title: 'text', body: 'text' })]),
      state: state([ix('t', { body: 'text', title: 'text' })]),
      changes: [],
    },
    {
      name: 'an index in the database only: reported, kept',
      spec: spec([ix('url_1', { url: 1 })]),
      state: state([ix('url_1', { url: 1 }), ix('manual_1', { manual: 1 })]),
      changes: [{ kind: 'extra-index', detail: 'index manual_1 {manual: 1} is not in pulpo.yaml (kept; --prune-indexes drops it)' }],
    },
    {
      name: 'an index in the database only, with prune: dropped',
      spec: spec([ix('url_1', { url: 1 })]),
      state: state([ix('url_1', { url: 1 }), ix('manual_1', { manual: 1 })]),
      prune: true,
      changes: [{ kind: 'drop-index', detail: 'drop index manual_1 {manual: 1}' }],
    },
    {
      // The server refuses a second index on the same keys, so adding by_url beside url_1 would fail.
      name: 'an index renamed in pulpo.yaml (same keys): the old one becomes the new one',
      spec: spec([ix('by_url', { url: 1 }, { unique: true })]),
      state: state([ix('url_1', { url: 1 }, { unique: true })]),
      changes: [{ kind: 'change-index', detail: 'rename index url_1 {url: 1} unique to by_url {url: 1} unique' }],
    },
    {
      name: 'renamed and changed at once',
      spec: spec([ix('by_url', { url: 1 }, { unique: true })]),
      state: state([ix('url_1', { url: 1 })]),
      changes: [{ kind: 'change-index', detail: 'rename index url_1 {url: 1} to by_url {url: 1} unique' }],
    },
    {
      name: 'an index whose keys another wanted index has is not taken for a rename',
      spec: spec([ix('url_1', { url: 1 }), ix('by_url', { url: 1 })]),
      state: state([ix('url_1', { url: 1 })]),
      changes: [{ kind: 'add-index', detail: 'add index by_url {url: 1}' }],
    },
    {
      name: 'everything at once, in a fixed order: collection, validator, indexes in pulpo.yaml order, extras',
      spec: spec([ix('b_1', { b: 1 }), ix('a_1', { a: 1 }, { unique: true })], SCHEMA),
      state: state([ix('a_1', { a: 1 }), ix('z_1', { z: 1 })]),
      changes: [
        { kind: 'set-validator', detail: 'set the $jsonSchema validator' },
        { kind: 'add-index', detail: 'add index b_1 {b: 1}' },
        { kind: 'change-index', detail: 'change index a_1 {a: 1} to a_1 {a: 1} unique' },
        { kind: 'extra-index', detail: /^index z_1 \{z: 1\} is not in pulpo.yaml/ },
      ],
    },
  ]
  for (const c of CASES) {
    test(c.name, () => {
      const got = diffModel(c.spec, c.state, { prune: c.prune })
      assert.deepEqual(
        got.map((g) => g.kind),
        c.changes.map((x) => x.kind),
        JSON.stringify(got, null, 1),
      )
      c.changes.forEach((want, i) => (typeof want.detail === 'string' ? assert.equal(got[i].detail, want.detail) : assert.match(got[i].detail, want.detail)))
    })
  }

  test('an index change carries the wanted index and the one to drop', () => {
    const [c] = diffModel(spec([ix('by_url', { url: 1 }, { unique: true })]), state([ix('url_1', { url: 1 })]))
    assert.deepEqual(c.index, ix('by_url', { url: 1 }, { unique: true }))
    assert.equal(c.from?.name, 'url_1')
  })

  test('applying the changes (as the server would) leaves nothing to do', () => {
    // A toy server: the state after the changes, built from them alone.
    const apply = (s: ModelSpec, st: ModelState, prune: boolean): ModelState => {
      let indexes = [...st.indexes]
      let validator = st.validator
      for (const c of diffModel(s, st, { prune })) {
        if (c.kind === 'set-validator') validator = s.validator
        if (c.kind === 'drop-index' || c.kind === 'change-index') indexes = indexes.filter((i) => i.name !== (c.from ?? c.index)!.name)
        if (c.kind === 'add-index' || c.kind === 'change-index') indexes.push(c.index!)
      }
      return { exists: true, indexes, ...(validator ? { validator } : {}) }
    }
    const s = spec([ix('by_url', { url: 1 }, { unique: true }), ix('t_1', { t: 1 }, { expireAfterSeconds: 5 }), ix('new_1', { new: 1 })], SCHEMA)
    const st = state([ix('url_1', { url: 1 }), ix('t_1', { t: 1 }), ix('old_1', { old: 1 })])
    assert.deepEqual(pending(diffModel(s, apply(s, st, false))), [], 'without prune only the extra index is left, and it is not pending')
    assert.deepEqual(diffModel(s, apply(s, st, true), { prune: true }), [], 'with prune nothing is left')
  })
})

describe('pending', () => {
  test('an extra index that is kept is not a change up makes; everything else is', () => {
    const changes = diffModel(spec([ix('a_1', { a: 1 })], SCHEMA), state([ix('x_1', { x: 1 })]))
    assert.deepEqual(
      pending(changes).map((c) => c.kind),
      ['set-validator', 'add-index'],
    )
    assert.equal(changes.length, 3)
  })
})

describe('modelSpecs', () => {
  const project = (datamodels: Project['datamodels'], services: Record<string, { kind: string }> = { db: { kind: 'mongodb' }, api: { kind: 'process' } }) =>
    ({ name: 'jobs', services: Object.fromEntries(Object.entries(services).map(([n, s]) => [n, { name: n, ...s }])), datamodels }) as unknown as Project

  test('defaults: the only mongodb service, the project as database, the key as collection, MongoDB index names', () => {
    const [m] = modelSpecs(project({ offers: { schema: { required: ['url'] }, indexes: [{ keys: { url: 1 }, unique: true }, { keys: { posted: -1 }, expire_after: 60, sparse: true }] } }))
    assert.deepEqual(m, {
      name: 'offers',
      service: 'db',
      database: 'jobs',
      collection: 'offers',
      validator: { $jsonSchema: { required: ['url'] } },
      indexes: [ix('url_1', { url: 1 }, { unique: true }), ix('posted_-1', { posted: -1 }, { sparse: true, expireAfterSeconds: 60 })],
    })
  })

  test('explicit service, database, collection and index name; sorted by name; no validator without a schema', () => {
    const specs = modelSpecs(project({ b: { service: 'db2', database: 'crm', collection: 'orgs', indexes: [{ keys: { name: 1 }, name: 'by_name', unique: false }] }, a: {} }, { db: { kind: 'mongodb' }, db2: { kind: 'mongodb' } }))
    assert.deepEqual(
      specs.map((s) => s.name),
      ['a', 'b'],
    )
    assert.deepEqual(specs[1], { name: 'b', service: 'db2', database: 'crm', collection: 'orgs', indexes: [ix('by_name', { name: 1 })] })
    assert.equal('validator' in specs[0], false)
  })

  test('a datamodel whose service is not in this environment is left out', () => {
    assert.deepEqual(modelSpecs(project({ x: { service: 'gone' } })), [])
  })
})
