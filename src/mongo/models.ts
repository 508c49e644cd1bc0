import type { Project } from '../config/types.js'
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
  /** change-index: the index as the server has it, dropped before `index` is created. */
  from?: IndexSpec
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

/**
 * A key pattern in a comparable form. The fields of a text index are one group whose order does not
 * matter (the server reports them from its `weights`, by name), so a run of them is sorted.
 */
function keyForm(key: Record<string, number | string>): string {
  const out: [string, number | string][] = []
  let run: [string, number | string][] = []
  for (const e of [...Object.entries(key), undefined]) {
    if (e?.[1] === 'text') {
      run.push(e)
      continue
    }
    out.push(...run.sort(([a], [b]) => a.localeCompare(b)))
    run = []
    if (e) out.push(e)
  }
  return JSON.stringify(out)
}

const sameKey = (a: IndexSpec, b: IndexSpec) => keyForm(a.key) === keyForm(b.key)
const sameIndex = (a: IndexSpec, b: IndexSpec) => sameKey(a, b) && !!a.unique === !!b.unique && !!a.sparse === !!b.sparse && a.expireAfterSeconds === b.expireAfterSeconds

/**
 * An index as listIndexes reports it, in pulpo's terms (pure). MongoDB reports a text index's key
 * as `{ _fts: 'text', _ftsx: 1 }` with its fields in `weights`: the fields are put back, or the
 * index would look changed on every run.
 */
export function serverIndex(doc: Record<string, unknown>): IndexSpec {
  const raw = doc.key as Record<string, number | string>
  let key = raw
  if ('_fts' in raw && doc.weights && typeof doc.weights === 'object') {
    key = {}
    for (const [f, d] of Object.entries(raw)) {
      if (f === '_fts') for (const w of Object.keys(doc.weights as object)) key[w] = 'text'
      else if (f !== '_ftsx') key[f] = d
    }
  }
  return {
    name: String(doc.name),
    key,
    ...(doc.unique ? { unique: true } : {}),
    ...(doc.sparse ? { sparse: true } : {}),
    ...(doc.expireAfterSeconds !== undefined ? { expireAfterSeconds: Number(doc.expireAfterSeconds) } : {}),
  }
}

/** A deterministic form of a JSON value, for comparing validators whatever their key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`
  return JSON.stringify(v)
}

/**
 * What to do to bring a collection to its datamodel (pure). Indexes the database has and pulpo.yaml
 * does not are `extra-index` (reported) unless `prune`, then `drop-index`. An index renamed in
 * pulpo.yaml (same keys, new name) is a `change-index` from the old one: the server refuses a
 * second index on the same keys, so adding it beside the old one would fail.
 */
export function diffModel(spec: ModelSpec, state: ModelState, opts: { prune?: boolean } = {}): ModelChange[] {
  const changes: ModelChange[] = []
  if (!state.exists) changes.push({ kind: 'create-collection', detail: `create collection ${spec.database}.${spec.collection}` })
  if (canonical(spec.validator ?? null) !== canonical(state.validator ?? null)) {
    changes.push({ kind: 'set-validator', detail: spec.validator ? (state.validator ? 'change the $jsonSchema validator' : 'set the $jsonSchema validator') : 'remove the validator' })
  }
  const have = new Map(state.indexes.filter((i) => i.name !== '_id_').map((i) => [i.name, i]))
  const wanted = new Set(spec.indexes.map((i) => i.name))
  const renamed = new Set<string>()
  for (const want of spec.indexes) {
    const got = have.get(want.name) ?? [...have.values()].find((i) => !wanted.has(i.name) && !renamed.has(i.name) && sameKey(i, want))
    if (!got) changes.push({ kind: 'add-index', detail: `add index ${describeIndex(want)}`, index: want })
    else if (got.name !== want.name) {
      renamed.add(got.name)
      changes.push({ kind: 'change-index', detail: `rename index ${describeIndex(got)} to ${describeIndex(want)}`, index: want, from: got })
    } else if (!sameIndex(want, got)) changes.push({ kind: 'change-index', detail: `change index ${describeIndex(got)} to ${describeIndex(want)}`, index: want, from: got })
  }
  for (const got of have.values()) {
    if (wanted.has(got.name) || renamed.has(got.name)) continue
    changes.push(opts.prune ? { kind: 'drop-index', detail: `drop index ${describeIndex(got)}`, index: got } : { kind: 'extra-index', detail: `index ${describeIndex(got)} is not in pulpo.yaml (kept; --prune-indexes drops it)`, index: got })
  }
  return changes
}

/** Changes that `up` would make (an extra index that is kept is only reported). */
export const pending = (changes: ModelChange[]) => changes.filter((c) => c.kind !== 'extra-index')
