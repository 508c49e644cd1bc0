import { createRequire } from 'node:module'
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv'
import schema from '../../schemas/pulpo.schema.json' with { type: 'json' }
import type { Problem } from '../errors.js'
import { didYouMean } from '../util/didyoumean.js'
import precompiled from './schema-validator.generated.js'
import { locate, pointer, type Source } from './source.js'

let ajv: Ajv | undefined
const lazyRequire = typeof require === 'function' ? undefined : createRequire(import.meta.url)

/**
 * ajv itself, only for the error path (validators of single anyOf branches); the whole schema is
 * compiled at build time. Same options as scripts/gen-validator.mjs: allErrors reports every
 * problem at once; verbose gives errors their schema, used for hints and descriptions.
 */
function compiler(): Ajv {
  // Loaded here, not with this module: a valid file never needs it (a few ms of every start);
  // `require` as for the YAML libraries (source.ts).
  ajv ??= new (lazyRequire ? (lazyRequire('ajv') as typeof import('ajv')) : (require('ajv') as typeof import('ajv'))).Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true })
  return ajv
}

/** Validates the file's data against schemas/pulpo.schema.json; every problem, located. */
export function schemaProblems(source: Source): Problem[] {
  if (source.data === undefined) return []
  // The schema compiled at build time: a valid file never pays for ajv's compiler.
  const validate = precompiled
  if (validate(source.data)) return []
  const errors = withoutRepeatedNames(reduceAlternatives(validate.errors ?? [], source.data))
  const seen = new Set<string>()
  const problems: Problem[] = []
  for (const err of errors) {
    const p = toProblem(err, source)
    const key = `${p.path}\0${p.message}`
    if (seen.has(key)) continue
    seen.add(key)
    problems.push(p)
  }
  return problems.sort((a, b) => a.line - b.line || a.column - b.column)
}

/**
 * The largest part of the file's data that the schema accepts, for the checks that need data of
 * the right shape (interpolation in every environment) to run on a file with schema problems too:
 * a copy without each value a schema error is about (an unknown key, a value of the wrong type, an
 * object missing a required key; a whole list for a bad item, so the other paths keep their
 * indexes and locations), again until the rest validates, as taking a value away can leave its
 * parent without a required key; with the paths taken away. Undefined when nothing acceptable is
 * left (the root is wrong).
 */
export function schemaAcceptedPart(data: unknown): { data: Record<string, unknown>; dropped: string[][] } | undefined {
  const copy = structuredClone(data) as Record<string, unknown>
  const dropped: string[][] = []
  // Each round takes away at least one value, and each value once: the file's size bounds it.
  for (;;) {
    if (precompiled(copy)) return { data: copy, dropped }
    // A missing `version` leaves the rest to check: nothing but the schema reads it.
    const errors = (precompiled.errors ?? []).filter((e) => !(e.keyword === 'required' && e.instancePath === ''))
    if (!errors.length) return { data: copy, dropped }
    let taken = false
    for (const err of errors) {
      const segs = err.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      // A bad key (unknown, or a name its pattern refuses) goes, not the mapping that holds it.
      const key = err.keyword === 'additionalProperties' ? err.params.additionalProperty : (err.propertyName ?? (err.keyword === 'propertyNames' ? err.params.propertyName : undefined))
      if (key !== undefined) segs.push(String(key))
      const inList = segs.findIndex((_, i) => Array.isArray(valueAt(copy, pointerOf(segs.slice(0, i)))))
      const drop = inList >= 0 ? segs.slice(0, inList) : segs
      if (!drop.length) return undefined
      const parent = valueAt(copy, pointerOf(drop.slice(0, -1))) as Record<string, unknown> | undefined
      const last = drop[drop.length - 1]
      if (parent && typeof parent === 'object' && Object.hasOwn(parent, last)) {
        delete parent[last]
        dropped.push(drop)
        taken = true
      }
    }
    if (!taken) return undefined
  }
}

const pointerOf = (segs: string[]) => segs.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('')

/**
 * A key that `propertyNames` refuses is reported by ajv twice: its `pattern` failing, and
 * `propertyNames` failing for it. The second says what the name is for; the first goes.
 */
function withoutRepeatedNames(errors: ErrorObject[]): ErrorObject[] {
  const refused = new Set(errors.filter((e) => e.keyword === 'propertyNames').map((e) => `${e.instancePath}\0${e.params.propertyName}`))
  return errors.filter((e) => !(e.keyword === 'pattern' && e.propertyName !== undefined && refused.has(`${e.instancePath}\0${e.propertyName}`)))
}

/**
 * ajv reports the failures of every branch of an `anyOf`, which reads as noise ("must be string,
 * must be array, must match a schema in anyOf"). Keep the branch whose type fits the value and
 * report its errors; when no branch's type fits, one error saying what the value may be.
 */
function reduceAlternatives(errors: ErrorObject[], data: unknown): ErrorObject[] {
  const anyOfs = errors
    .filter((e) => e.keyword === 'anyOf')
    .sort((a, b) => a.instancePath.length - b.instancePath.length)
  let result = errors
  const handled: string[] = []
  for (const alt of anyOfs) {
    const at = alt.instancePath
    if (handled.some((h) => at === h || at.startsWith(h + '/'))) continue
    handled.push(at)
    const inside = (e: ErrorObject) => e.instancePath === at || e.instancePath.startsWith(at + '/')
    result = result.filter((e) => !inside(e))
    const value = valueAt(data, at)
    const branches = alt.schema as object[]
    const fitting = branches.find((b) => typeFits(resolve(b), value))
    if (!fitting) {
      result.push({ ...alt, keyword: 'type', message: 'must be ' + branches.map((b) => describe(resolve(b))).join(' or '), params: {} })
      continue
    }
    const v = branchValidator(fitting)
    if (v(value)) continue
    const sub = (v.errors ?? []).map((e) => ({ ...e, instancePath: at + e.instancePath }))
    result.push(...reduceAlternatives(sub, data))
  }
  return result
}

const branchValidators = new WeakMap<object, ValidateFunction>()

/** A validator for one branch of an anyOf, able to follow the root schema's $refs. */
function branchValidator(branch: object): ValidateFunction {
  let v = branchValidators.get(branch)
  if (!v) {
    v = compiler().compile({ ...branch, definitions: schema.definitions })
    branchValidators.set(branch, v)
  }
  return v
}

function valueAt(data: unknown, ptr: string): unknown {
  let v: any = data
  for (const seg of ptr.split('/').slice(1)) v = v?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')]
  return v
}

function resolve(s: any): any {
  if (s && typeof s.$ref === 'string' && s.$ref.startsWith('#/definitions/')) {
    return resolve((schema.definitions as any)[s.$ref.slice('#/definitions/'.length)])
  }
  return s
}

const jsonType = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v

function typeFits(s: any, value: unknown): boolean {
  if (s.enum) return s.enum.some((x: unknown) => typeof x === typeof value)
  if (!s.type) return true
  const types: string[] = Array.isArray(s.type) ? s.type : [s.type]
  const t = jsonType(value)
  return types.includes(t) || (t === 'integer' && types.includes('number'))
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  array: 'a list',
  object: 'a mapping',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'empty',
}

function describe(s: any): string {
  if (s.enum) return 'one of ' + s.enum.map((x: unknown) => JSON.stringify(x)).join(', ')
  if (s.pattern && PATTERNS[s.pattern]?.message === 'is not a duration') return 'a duration such as 200ms, 5s or 2m'
  const types: string[] = Array.isArray(s.type) ? s.type : [s.type ?? 'value']
  return types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')
}

/** Readable messages for the schema's patterns. */
const PATTERNS: Record<string, { message: string; hint?: string }> = {
  '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$': { message: 'is not a duration', hint: 'write it as 200ms, 5s, 2m or 1h, or a number of seconds' },
  '^/': { message: "must be a path starting with '/'", hint: "e.g. '/health'" },
}

function show(v: unknown): string {
  const s = JSON.stringify(v)
  return s === undefined ? String(v) : s.length > 40 ? s.slice(0, 37) + '...' : s
}

function toProblem(err: ErrorObject, source: Source): Problem {
  const segs = err.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
  const base = { file: source.file, code: 'schema' }
  const value = valueAt(source.data, err.instancePath)
  const at = (path: string[], where: 'key' | 'value' = 'value') => ({ ...base, ...locate(source, path, where), path: pointer(path) })
  const parentKeys = Object.keys((err.parentSchema as any)?.properties ?? {})
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String(err.params.additionalProperty)
      const path = [...segs, key]
      return { ...at(path, 'key'), code: 'unknown-key', message: `unknown key '${key}'`, hint: didYouMean(key, parentKeys) ?? (parentKeys.length ? `allowed here: ${parentKeys.join(', ')}` : undefined) }
    }
    case 'required':
      return { ...at(segs), code: 'missing-key', message: `missing required key '${err.params.missingProperty}'` }
    case 'propertyNames': {
      const name = String(err.params.propertyName)
      return { ...at([...segs, name], 'key'), message: `'${name}' is not a valid variable name`, hint: 'use letters, digits and _, not starting with a digit' }
    }
    case 'enum': {
      const allowed = (err.schema as unknown[]).map((x) => JSON.stringify(x)).join(', ')
      return { ...at(segs), code: 'enum', message: `${show(value)} is not allowed here; must be one of ${allowed}`, hint: typeof value === 'string' ? didYouMean(value, (err.schema as unknown[]).map(String)) : undefined }
    }
    case 'type': {
      const expected = err.params.type ? describe({ type: err.params.type }) : err.message?.replace(/^must be /, '')
      return { ...at(segs), code: 'type', message: `must be ${expected}, got ${jsonType(value) === 'null' ? 'nothing' : show(value)}` }
    }
    case 'pattern': {
      if (err.propertyName !== undefined) return { ...at([...segs, err.propertyName], 'key'), message: `'${err.propertyName}' is not a valid name` }
      const known = PATTERNS[String(err.params.pattern)]
      if (known) return { ...at(segs), code: 'type', message: `${show(value)} ${known.message}`, hint: known.hint }
      return { ...at(segs), message: `${show(value)} must match ${err.params.pattern}` }
    }
    case 'minimum':
      return { ...at(segs), message: `must be at least ${err.params.limit}, got ${show(value)}` }
    case 'maximum':
      return { ...at(segs), message: `must be at most ${err.params.limit}, got ${show(value)}` }
    case 'minLength':
      return { ...at(segs), message: 'must not be empty' }
    case 'minItems':
      return { ...at(segs), message: 'must not be an empty list' }
    case 'minProperties':
      return { ...at(segs), message: 'must not be empty' }
    default:
      return { ...at(segs), message: err.message ?? `fails ${err.keyword}` }
  }
}
