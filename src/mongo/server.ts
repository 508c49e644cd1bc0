import type { MongoClient, Db } from 'mongodb'
import { PulpoError } from '../errors.js'
import { serverIndex, type ModelChange, type ModelSpec, type ModelState } from './models.js'

/** Index key types other than 1/-1 that pulpo.yaml allows (see the schema's `keys`). */
export const SPECIAL_INDEX_TYPES = ['text', '2d', '2dsphere', 'hashed'] as const

/** Features a datamodel may use that some MongoDB-wire servers (FerretDB) lack. */
export interface Capabilities {
  /** e.g. `7.0.42` or `7.0.42 (FerretDB v1.24.2)`. */
  version: string
  validator: boolean
  ttl: boolean
  sparse: boolean
  /** Per special key type: whether the server builds such an index (FerretDB 1.x builds none). */
  indexTypes: Record<(typeof SPECIAL_INDEX_TYPES)[number], boolean>
}

/** Opens the driver (imported lazily: it is large and most commands never need it). */
export async function connect(url: string, timeoutMs = 3000): Promise<MongoClient> {
  const { MongoClient } = await import('mongodb')
  const client = new MongoClient(url, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs, directConnection: true })
  await client.connect()
  return client
}


/** `7.0.42`, or `7.0.42 (FerretDB v1.24.2)`: read-only. */
export async function serverVersion(client: MongoClient): Promise<string> {
  const info = await client.db('admin').command({ buildInfo: 1 })
  return info.ferretdbVersion ? `${info.version} (FerretDB ${info.ferretdbVersion})` : String(info.version)
}

/** Every feature supported: what plan assumes for a server whose features `up` has not checked yet. */
export function allSupported(version: string): Capabilities {
  return { version, validator: true, ttl: true, sparse: true, indexTypes: Object.fromEntries(SPECIAL_INDEX_TYPES.map((t) => [t, true])) as Capabilities['indexTypes'] }
}

/**
 * Finds out, by asking the server itself, which datamodel features it supports: each is tried in a
 * scratch database that is dropped afterwards. Nothing is assumed from the server's name.
 */
export async function capabilities(client: MongoClient): Promise<Capabilities> {
  const version = await serverVersion(client)
  const db = client.db(`pulpo_probe_${process.pid}_${Date.now().toString(36)}`)
  const tries = async (fn: () => Promise<unknown>) => {
    try {
      await fn()
      return true
    } catch (e) {
      return false
    }
  }
  try {
    const validator = await tries(() => db.createCollection('v', { validator: { $jsonSchema: { required: ['x'] } } }))
    await db.createCollection('i').catch(() => {})
    const ttl = await tries(() => db.collection('i').createIndex({ t: 1 }, { expireAfterSeconds: 60, name: 't_ttl' }))
    const indexTypes = {} as Capabilities['indexTypes']
    for (const t of SPECIAL_INDEX_TYPES) indexTypes[t] = await tries(() => db.collection('i').createIndex({ [`k_${t}`]: t }, { name: `k_${t}` }))
    // Some servers accept `sparse` and drop it: check what was kept.
    await tries(() => db.collection('i').createIndex({ s: 1 }, { sparse: true, name: 's_sparse' }))
    const sparse = (await db.collection('i').listIndexes().toArray()).some((i) => i.name === 's_sparse' && i.sparse === true)
    return { version, validator, ttl, indexTypes, sparse }
  } finally {
    await db.dropDatabase().catch(() => {})
  }
}

export async function observeModel(client: MongoClient, spec: ModelSpec): Promise<ModelState> {
  const db = client.db(spec.database)
  const [info] = await db.listCollections({ name: spec.collection }, { nameOnly: false }).toArray()
  if (!info) return { exists: false, indexes: [] }
  const indexes = (await db.collection(spec.collection).listIndexes().toArray()).map(serverIndex)
  const validator = (info as { options?: { validator?: Record<string, unknown> } }).options?.validator
  return { exists: true, indexes, ...(validator && Object.keys(validator).length ? { validator } : {}) }
}

/** Which feature a change needs that the server lacks, if any. */
export function unsupported(change: ModelChange, caps: Capabilities): string | undefined {
  if (change.kind === 'set-validator' && !caps.validator) return '$jsonSchema validators'
  const ix = change.index
  if (!ix || (change.kind !== 'add-index' && change.kind !== 'change-index')) return undefined
  if (ix.expireAfterSeconds !== undefined && !caps.ttl) return 'TTL indexes (expire_after)'
  // A key type the server does not know would fail the whole `up`, not just this index.
  const type = SPECIAL_INDEX_TYPES.find((t) => Object.values(ix.key).includes(t) && !caps.indexTypes[t])
  if (type) return `${type} indexes`
  if (ix.sparse && !caps.sparse) return 'sparse indexes'
  return undefined
}

/**
 * Applies changes in a safe order: collection, then validator, then dropped and changed indexes,
 * then new ones. A change the server cannot make is skipped with a warning naming the feature. A
 * change the server refuses (a unique index over duplicates) fails with the datamodel and the
 * change named: the driver's message alone does not say which datamodel it was.
 */
export async function applyChanges(client: MongoClient, spec: ModelSpec, changes: ModelChange[], caps: Capabilities): Promise<{ applied: string[]; warnings: string[] }> {
  const db: Db = client.db(spec.database)
  const applied: string[] = []
  const warnings: string[] = []
  // Decided once: a changed index is visited twice (drop, create) and must be warned about once.
  const skipped = new Set<ModelChange>()
  for (const c of changes) {
    const feature = unsupported(c, caps)
    if (!feature) continue
    skipped.add(c)
    warnings.push(`${spec.name}: the server (${caps.version}) does not support ${feature}; not applied: ${c.detail}`)
  }
  const step = async (c: ModelChange, fn: () => Promise<unknown>) => {
    try {
      await fn()
    } catch (e) {
      const err = e as Error & { code?: number }
      const hint = err.code === 11000 || /duplicate key|UNIQUE constraint/i.test(err.message) ? ' (documents with the same key already exist: remove the duplicates, then run pulpo up again)' : ''
      throw new PulpoError('datamodel', `datamodel ${spec.name}: could not ${c.detail}: ${err.message}${hint}`, { cause: e })
    }
  }
  for (const c of changes) {
    if (c.kind === 'create-collection') {
      const withValidator = spec.validator && caps.validator
      await step(c, () => db.createCollection(spec.collection, withValidator ? { validator: spec.validator } : {}))
      applied.push(c.detail + (withValidator ? ' with its validator' : ''))
    }
  }
  for (const c of changes) {
    if (c.kind !== 'set-validator' || skipped.has(c)) continue
    if (changes.some((x) => x.kind === 'create-collection')) continue // created with it
    await step(c, () => db.command({ collMod: spec.collection, validator: spec.validator ?? {} }))
    applied.push(c.detail)
  }
  const coll = db.collection(spec.collection)
  for (const c of changes) {
    if ((c.kind === 'drop-index' || c.kind === 'change-index') && !skipped.has(c)) {
      // A renamed index is dropped under its old name.
      await step(c, () => coll.dropIndex((c.from ?? c.index)!.name))
      if (c.kind === 'drop-index') applied.push(c.detail)
    }
  }
  for (const c of changes) {
    if ((c.kind === 'add-index' || c.kind === 'change-index') && !skipped.has(c)) {
      const ix = c.index!
      await step(c, () =>
        coll.createIndex(ix.key as Record<string, 1 | -1>, {
          name: ix.name,
          ...(ix.unique ? { unique: true } : {}),
          ...(ix.sparse ? { sparse: true } : {}),
          ...(ix.expireAfterSeconds !== undefined ? { expireAfterSeconds: ix.expireAfterSeconds } : {}),
        }),
      )
      applied.push(c.detail)
    }
  }
  for (const c of changes) if (c.kind === 'extra-index') warnings.push(`${spec.name}: ${c.detail}`)
  return { applied, warnings }
}
