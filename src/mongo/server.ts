import type { MongoClient, Db } from 'mongodb'
import type { IndexSpec, ModelChange, ModelSpec, ModelState } from './models.js'

/** Features a datamodel may use that some MongoDB-wire servers (FerretDB) lack. */
export interface Capabilities {
  /** e.g. `7.0.42` or `7.0.42 (FerretDB v1.24.2)`. */
  version: string
  validator: boolean
  ttl: boolean
  sparse: boolean
  text: boolean
}

/** Opens the driver (imported lazily: it is large and most commands never need it). */
export async function connect(url: string, timeoutMs = 3000): Promise<MongoClient> {
  const { MongoClient } = await import('mongodb')
  const client = new MongoClient(url, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs, directConnection: true })
  await client.connect()
  return client
}


/**
 * Finds out, by asking the server itself, which datamodel features it supports: each is tried in a
 * scratch database that is dropped afterwards. Nothing is assumed from the server's name.
 */
export async function capabilities(client: MongoClient): Promise<Capabilities> {
  const info = await client.db('admin').command({ buildInfo: 1 })
  const version = info.ferretdbVersion ? `${info.version} (FerretDB ${info.ferretdbVersion})` : String(info.version)
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
    const text = await tries(() => db.collection('i').createIndex({ x: 'text' }, { name: 'x_text' }))
    // Some servers accept `sparse` and drop it: check what was kept.
    await tries(() => db.collection('i').createIndex({ s: 1 }, { sparse: true, name: 's_sparse' }))
    const sparse = (await db.collection('i').listIndexes().toArray()).some((i) => i.name === 's_sparse' && i.sparse === true)
    return { version, validator, ttl, text, sparse }
  } finally {
    await db.dropDatabase().catch(() => {})
  }
}

export async function observeModel(client: MongoClient, spec: ModelSpec): Promise<ModelState> {
  const db = client.db(spec.database)
  const [info] = await db.listCollections({ name: spec.collection }, { nameOnly: false }).toArray()
  if (!info) return { exists: false, indexes: [] }
  const indexes = (await db.collection(spec.collection).listIndexes().toArray()).map(
    (i): IndexSpec => ({
      name: i.name,
      key: i.key,
      ...(i.unique ? { unique: true } : {}),
      ...(i.sparse ? { sparse: true } : {}),
      ...(i.expireAfterSeconds !== undefined ? { expireAfterSeconds: i.expireAfterSeconds } : {}),
    }),
  )
  const validator = (info as { options?: { validator?: Record<string, unknown> } }).options?.validator
  return { exists: true, indexes, ...(validator && Object.keys(validator).length ? { validator } : {}) }
}

/** Which feature a change needs that the server lacks, if any. */
export function unsupported(change: ModelChange, caps: Capabilities): string | undefined {
  if (change.kind === 'set-validator' && !caps.validator) return '$jsonSchema validators'
  const ix = change.index
  if (!ix || (change.kind !== 'add-index' && change.kind !== 'change-index')) return undefined
  if (ix.expireAfterSeconds !== undefined && !caps.ttl) return 'TTL indexes (expire_after)'
  if (Object.values(ix.key).includes('text') && !caps.text) return 'text indexes'
  if (ix.sparse && !caps.sparse) return 'sparse indexes'
  return undefined
}

/**
 * Applies changes in a safe order: collection, then validator, then dropped and changed indexes,
 * then new ones. A change the server cannot make is skipped with a warning naming the feature.
 */
export async function applyChanges(client: MongoClient, spec: ModelSpec, changes: ModelChange[], caps: Capabilities): Promise<{ applied: string[]; warnings: string[] }> {
  const db: Db = client.db(spec.database)
  const applied: string[] = []
  const warnings: string[] = []
  const skip = (c: ModelChange) => {
    const feature = unsupported(c, caps)
    if (feature) warnings.push(`${spec.name}: the server (${caps.version}) does not support ${feature}; not applied: ${c.detail}`)
    return Boolean(feature)
  }
  for (const c of changes) {
    if (c.kind === 'create-collection') {
      const withValidator = spec.validator && caps.validator
      await db.createCollection(spec.collection, withValidator ? { validator: spec.validator } : {})
      applied.push(c.detail + (withValidator ? ' with its validator' : ''))
    }
  }
  for (const c of changes) {
    if (c.kind !== 'set-validator' || skip(c)) continue
    if (changes.some((x) => x.kind === 'create-collection')) continue // created with it
    await db.command({ collMod: spec.collection, validator: spec.validator ?? {} })
    applied.push(c.detail)
  }
  const coll = db.collection(spec.collection)
  for (const c of changes) {
    if ((c.kind === 'drop-index' || c.kind === 'change-index') && !skip(c)) {
      await coll.dropIndex(c.index!.name)
      if (c.kind === 'drop-index') applied.push(c.detail)
    }
  }
  for (const c of changes) {
    if ((c.kind === 'add-index' || c.kind === 'change-index') && !skip(c)) {
      const ix = c.index!
      await coll.createIndex(ix.key as Record<string, 1 | -1>, {
        name: ix.name,
        ...(ix.unique ? { unique: true } : {}),
        ...(ix.sparse ? { sparse: true } : {}),
        ...(ix.expireAfterSeconds !== undefined ? { expireAfterSeconds: ix.expireAfterSeconds } : {}),
      })
      applied.push(c.detail)
    }
  }
  for (const c of changes) if (c.kind === 'extra-index') warnings.push(`${spec.name}: ${c.detail}`)
  return { applied, warnings }
}

