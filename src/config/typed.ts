/**
 * Interpolation of fields that are not text (`port: ${WEB_PORT:-31080}`), before the schema sees
 * them: as in Compose, the value is interpolated first and then read as the type the schema asks
 * for, so a type error still points at the value's own line and column.
 */
import schema from '../../schemas/pulpo.schema.json' with { type: 'json' }
import type { Problem } from '../errors.js'
import { mapStrings } from '../util/map-strings.js'
import { quoteMasked, SECRET_NAME } from '../util/mask.js'
import { interpolate } from './interpolate.js'
import { servicesIn } from './environments.js'
import { isRecord, type RawConfig } from './model.js'
import { locate, pointer, type Source } from './source.js'

type Schema = Record<string, unknown>
const definitions = (schema as Schema).definitions as Record<string, Schema>

/**
 * The schema nodes that describe a value together with `node`: the node its `$ref` names (and
 * nothing else of it), else the node and every branch of its anyOf/oneOf/allOf, recursively.
 * Computed once per node: every `$` value of a big file asks for the same few.
 */
const closures = new WeakMap<object, readonly Schema[]>()
function closure(node: Schema | undefined): readonly Schema[] {
  // Not a schema (a `$ref` to nothing): no types.
  if ((typeof node !== 'object' && typeof node !== 'function') || node === null) return []
  let out = closures.get(node)
  if (out) return out
  if (typeof node.$ref === 'string') out = closure(definitions[node.$ref.replace('#/definitions/', '')])
  else {
    const all: Schema[] = [node]
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) if (Array.isArray(node[key])) for (const branch of node[key] as Schema[]) all.push(...closure(branch))
    out = all
  }
  closures.set(node, out)
  return out
}

/** The JSON types one node names itself (not its branches). */
function ownTypes(node: Schema): string[] {
  const t = node.type
  const out = (Array.isArray(t) ? t : typeof t === 'string' ? [t] : []) as string[]
  // A choice among fixed words (`endpoint_mode: ${ENDPOINT_MODE:-vip}`) is interpolated before the
  // schema checks the word, as a number is.
  return !t && Array.isArray(node.enum) ? [...out, 'enum'] : out
}

/** The JSON types the schema allows at a path of the data (every branch of anyOf/oneOf). */
function typesAt(root: Schema, path: readonly (string | number)[]): Set<string> {
  let nodes = closure(root)
  for (let i = 0; i < path.length && nodes.length; i++) {
    const head = path[i]
    const next: Schema[] = []
    for (const node of nodes) {
      const props = node.properties as Record<string, Schema> | undefined
      const child = typeof head === 'number' ? (node.items as Schema | undefined) : (props?.[head] ?? (isRecord(node.additionalProperties) ? (node.additionalProperties as Schema) : undefined))
      if (child) next.push(...closure(child))
    }
    nodes = next
  }
  const out = new Set<string>()
  for (const node of nodes) for (const t of ownTypes(node)) out.add(t)
  return out
}

/** A text read as the first of the allowed types it spells, as YAML would read it unquoted. */
function convert(text: string, types: Set<string>): unknown {
  const t = text.trim()
  if ((types.has('integer') || types.has('number')) && /^[-+]?\d+$/.test(t)) return Number(t)
  if (types.has('number') && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t)
  if (types.has('boolean') && /^(true|false)$/i.test(t)) return t.toLowerCase() === 'true'
  return text
}

/**
 * The file's data with every `$`-bearing string in a non-text field interpolated and converted;
 * `${services...}` is left to the resolver. Problems are located at the value; `unchecked` holds
 * the pointers of values left as text because of one (or of a variable another environment needs);
 * `secrets` the values of secret-looking variables read, which the schema's type errors must not
 * quote (`port: ${DB_PASSWORD}` by mistake).
 */
export function interpolateTyped(source: Source, variable: (name: string) => string | undefined, envName?: string): { data: unknown; problems: Problem[]; unchecked: Set<string>; secrets: string[] } {
  const problems: Problem[] = []
  const secrets = new Set<string>()
  const onVariable = (name: string, value: string) => {
    if (value && SECRET_NAME.test(name)) secrets.add(value)
  }
  // Values that could not be interpolated here: the schema's type error there would only repeat it.
  const unchecked = new Set<string>()
  // The services enabled in the environment, once a typed value needs them (most files have none).
  let enabled: Readonly<Record<string, unknown>> | undefined
  const enabledHere = (name: string | number) => envName === undefined || !isRecord(source.data) || Object.hasOwn((enabled ??= servicesIn(source.data as RawConfig, envName)), name)
  // Copy on write: a big file without such fields is not copied.
  const data = mapStrings(source.data, (value, path) => {
    if (!value.includes('$') || value.includes('${services.')) return value
    const types = typesAt(schema as Schema, path)
    if (!types.size || types.has('string')) return value
    // `${VAR:?}` in another environment's override is only required there, and in a service only
    // where it is enabled, as in the resolver.
    const owner = path[0] === 'services' ? path[1] : path[0] === 'environments' && path[2] === 'services' ? path[3] : undefined
    const requireVariables = (path[0] !== 'environments' || envName === undefined || path[1] === envName) && (owner === undefined || enabledHere(owner))
    const r = interpolate(value, { variable, requireVariables, onVariable, quote: quoteMasked(String(path[path.length - 1])) })
    for (const issue of r.issues) problems.push({ file: source.file, ...locate(source, path), path: pointer(path), code: 'interpolation', message: issue.message, ...(issue.hint ? { hint: issue.hint } : {}) })
    const converted = r.issues.length ? value : convert(r.value, types)
    if (r.issues.length || (!requireVariables && typeof converted === 'string')) unchecked.add(pointer(path))
    return converted
  })
  return { data, problems, unchecked, secrets: [...secrets] }
}
