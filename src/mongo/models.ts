import type { Project } from '../config/resolve.js'
import type { RawIndex } from '../config/model.js'

/** An index as pulpo wants it and as MongoDB's listIndexes reports it. */
export interface IndexSpec {
  name: string
  key: Record<string, number | string>
  unique?: boolean
  sparse?: boolean
  expireAfterSeconds?: number
}

/** One datamodel, resolved: where its collection lives and what it should look like. */
export interface ModelSpec {
  name: string
  service: string
  database: string
  collection: string
  validator?: Record<string, unknown>
  indexes: IndexSpec[]
}

/** What the server has for a datamodel's collection. */
export interface ModelState {
  exists: boolean
  validator?: Record<string, unknown>
  indexes: IndexSpec[]
}

export type ModelChangeKind = 'create-collection' | 'set-validator' | 'add-index' | 'change-index' | 'drop-index' | 'extra-index'

export interface ModelChange {
  kind: ModelChangeKind
  /** For a person: `add index url_1 { url: 1 } unique`. */
  detail: string
  index?: IndexSpec
}

/** MongoDB's default index name: `url_1`, `source_1_title_-1`. */
export const defaultIndexName = (key: Record<string, number | string>) =>
  Object.entries(key)
    .map(([f, d]) => `${f}_${d}`)
    .join('_')

function indexSpec(ix: RawIndex): IndexSpec {
  return {
    name: ix.name ?? defaultIndexName(ix.keys),
    key: ix.keys,
    ...(ix.unique ? { unique: true } : {}),
    ...(ix.sparse ? { sparse: true } : {}),
    ...(ix.expire_after !== undefined ? { expireAfterSeconds: ix.expire_after } : {}),
  }
}

/** The project's datamodels, resolved against its services (pure). */
export function modelSpecs(project: Project): ModelSpec[] {
  const mongos = Object.values(project.services).filter((s) => s.kind === 'mongodb').map((s) => s.name)
  return Object.entries(project.datamodels)
    .map(([name, dm]) => ({
      name,
      service: dm.service ?? mongos[0],
      database: dm.database ?? project.name,
      collection: dm.collection ?? name,
      ...(dm.schema ? { validator: { $jsonSchema: dm.schema } } : {}),
      indexes: (dm.indexes ?? []).map(indexSpec),
    }))
    .filter((m) => project.services[m.service])
    .sort((a, b) => a.name.localeCompare(b.name))
}

const describeIndex = (ix: IndexSpec) =>
  `${ix.name} ${JSON.stringify(ix.key).replace(/"/g, '').replace(/,/g, ', ').replace(/:/g, ': ')}${ix.unique ? ' unique' : ''}${ix.sparse ? ' sparse' : ''}${ix.expireAfterSeconds !== undefined ? ` ttl ${ix.expireAfterSeconds}s` : ''}`

const sameIndex = (a: IndexSpec, b: IndexSpec) =>
  JSON.stringify(Object.entries(a.key)) === JSON.stringify(Object.entries(b.key)) && !!a.unique === !!b.unique && !!a.sparse === !!b.sparse && a.expireAfterSeconds === b.expireAfterSeconds

/** A deterministic form of a JSON value, for comparing validators whatever their key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`
  return JSON.stringify(v)
}

/**
 * What to do to bring a collection to its datamodel (pure). Indexes the database has and pulpo.yaml
 * does not are `extra-index` (reported) unless `prune`, then `drop-index`.
 */
export function diffModel(spec: ModelSpec, state: ModelState, opts: { prune?: boolean } = {}): ModelChange[] {
  const changes: ModelChange[] = []
  if (!state.exists) changes.push({ kind: 'create-collection', detail: `create collection ${spec.database}.${spec.collection}` })
  if (canonical(spec.validator ?? null) !== canonical(state.validator ?? null)) {
    changes.push({ kind: 'set-validator', detail: spec.validator ? (state.validator ? 'change the $jsonSchema validator' : 'set the $jsonSchema validator') : 'remove the validator' })
  }
  const have = new Map(state.indexes.filter((i) => i.name !== '_id_').map((i) => [i.name, i]))
  for (const want of spec.indexes) {
    const got = have.get(want.name)
    if (!got) changes.push({ kind: 'add-index', detail: `add index ${describeIndex(want)}`, index: want })
    else if (!sameIndex(want, got)) changes.push({ kind: 'change-index', detail: `change index ${describeIndex(got)} to ${describeIndex(want)}`, index: want })
  }
  const wanted = new Set(spec.indexes.map((i) => i.name))
  for (const got of have.values()) {
    if (wanted.has(got.name)) continue
    changes.push(opts.prune ? { kind: 'drop-index', detail: `drop index ${describeIndex(got)}`, index: got } : { kind: 'extra-index', detail: `index ${describeIndex(got)} is not in pulpo.yaml (kept; --prune-indexes drops it)`, index: got })
  }
  return changes
}

/** Changes that `up` would make (an extra index that is kept is only reported). */
export const pending = (changes: ModelChange[]) => changes.filter((c) => c.kind !== 'extra-index')
