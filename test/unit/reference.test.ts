/**
 * docs/reference.md is the user's reference: it must name every key of the schema and every
 * command and flag of the CLI, so that adding one without documenting it fails here.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import schema from '../../schemas/pulpo.schema.json' with { type: 'json' }
import { commands } from '../../src/commands/index.js'

const REFERENCE = readFileSync(fileURLToPath(new URL('../../docs/reference.md', import.meta.url)), 'utf8')

type Schema = { $ref?: string; properties?: Record<string, Schema>; additionalProperties?: boolean | Schema; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[] }

/**
 * Every key path of the schema: `services.<name>.ready.http`, `datamodels.<name>.indexes[].keys`.
 * A definition used in two places (a service, and its override in an environment) is listed
 * under the first path only: the reference says once that an override takes the same keys.
 */
function keyPaths(): string[] {
  const definitions = (schema as { definitions: Record<string, Schema> }).definitions
  const paths: string[] = []
  const expanded = new Set<string>()
  const walk = (s: Schema | undefined, path: string): void => {
    if (!s) return
    if (s.$ref) {
      if (expanded.has(s.$ref)) return
      expanded.add(s.$ref)
      return walk(definitions[s.$ref.split('/').pop()!], path)
    }
    for (const branch of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) walk(branch, path)
    for (const [key, sub] of Object.entries(s.properties ?? {})) {
      const p = path ? `${path}.${key}` : key
      paths.push(p)
      walk(sub, p)
    }
    if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${path}.<name>`)
    if (s.items) walk(s.items, `${path}[]`)
  }
  walk(schema as Schema, '')
  return [...new Set(paths)]
}

test('every key path of schemas/pulpo.schema.json is in docs/reference.md', () => {
  const paths = keyPaths()
  assert.ok(paths.includes('services.<name>.ready.http') && paths.includes('datamodels.<name>.indexes[].keys'), 'the walk found the nested keys')
  const missing = paths.filter((p) => !REFERENCE.includes('`' + p + '`'))
  assert.deepEqual(missing, [], `keys missing from docs/reference.md (write each as \`path\`):\n${missing.join('\n')}`)
})

/** The part of the reference about one command: its heading (or bullet) up to the next one. */
function sectionOf(id: string): string | undefined {
  const start = [`\n### pulpo ${id}\n`, `\n### pulpo ${id} `, `\n- \`pulpo ${id} `, `\n- \`pulpo ${id}\``].map((h) => REFERENCE.indexOf(h)).filter((i) => i >= 0)
  if (!start.length) return undefined
  const from = Math.min(...start) + 1
  const ends = ['\n### ', '\n## ', '\n- `pulpo '].map((h) => REFERENCE.indexOf(h, from)).filter((i) => i >= 0)
  return REFERENCE.slice(from, ends.length ? Math.min(...ends) : undefined)
}

const SHARED = REFERENCE.slice(REFERENCE.indexOf('\n### Flags shared'), REFERENCE.indexOf('\n### pulpo '))

/** The flag spelled out as a word of its own (in code, or before a value): `--tail`, `-n N`. */
const mentions = (text: string, spelling: string) => new RegExp('(^|[\\s`(])' + spelling + '(?=[\\s`,.)=]|$)').test(text)

test('every command, hidden ones included, and each of its flags is in docs/reference.md', () => {
  const problems: string[] = []
  for (const [key, command] of Object.entries(commands) as [string, { flags?: Record<string, { char?: string }>; baseFlags?: Record<string, { char?: string }>; enableJsonFlag?: boolean }][]) {
    const id = key.replace(/:/g, ' ')
    const section = sectionOf(id)
    if (!section) {
      problems.push(`pulpo ${id}: no '### pulpo ${id}' section`)
      continue
    }
    const flags = { ...(command.baseFlags ?? {}), ...(command.flags ?? {}) }
    if (command.enableJsonFlag) flags.json = {}
    for (const [name, f] of Object.entries(flags)) {
      if (!mentions(section, `--${name}`)) problems.push(`pulpo ${id}: flag --${name} not in its section`)
      // A shared flag's short spelling may be given once, in the table of shared flags.
      else if (f.char && !mentions(section, `-${f.char}`) && !(mentions(SHARED, `--${name}`) && mentions(SHARED, `-${f.char}`))) problems.push(`pulpo ${id}: flag -${f.char} not in its section`)
    }
  }
  assert.deepEqual(problems, [])
})

test('the reference has the exit codes and the JSON shapes of the contract', () => {
  for (const heading of ['## Exit codes', '## JSON shapes', '## Environment variables']) assert.ok(REFERENCE.includes(`\n${heading}\n`), heading)
  for (const code of ['| 0 |', '| 1 |', '| 2 |']) assert.ok(REFERENCE.includes(code), code)
  for (const field of ['"valid"', '"errors"', '"errors_total"', '"errors_not_shown"', '"problems_total"', '"changes"', '"summary"', '"desired"', '"flow_run_id"']) assert.ok(REFERENCE.includes(field), field)
})
