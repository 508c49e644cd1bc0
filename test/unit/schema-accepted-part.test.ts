/**
 * A file with schema problems is still checked for interpolation, in the part the schema accepts
 * (config/schema.ts's schemaAcceptedPart). That pass runs on data of any shape: every value of
 * real files, replaced by a value of each wrong kind or left out, must give located problems,
 * never an exception; and a variant that is valid compiles in every environment it declares.
 */
import { describe, test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { stringify } from 'yaml'
import { validateConfig } from '../../src/config/load.js'
import { compileProject } from '../../src/compile/index.js'
import { schemaAcceptedPart } from '../../src/config/schema.js'
import { parseSource } from '../../src/config/source.js'

const root = join(import.meta.dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'pulpo-accepted-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const FILES = ['pulpo.example.yaml', 'test/fixtures/kubernetes/pulpo.yaml', 'test/fixtures/valid/environments.yaml', 'test/fixtures/valid/probes.yaml', 'test/fixtures/valid/images.yaml', 'test/fixtures/valid/interpolation.yaml']
// Empty, a string where a mapping or list belongs, a list holding a mapping, a mapping holding a list.
const WRONG: unknown[] = [null, 'x', [1, { k: 1 }], { k: [1] }]

/** Every path to a value in `data`, the root excepted. */
function paths(data: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (data === null || typeof data !== 'object') return []
  const entries: [string | number, unknown][] = Array.isArray(data) ? data.map((v, i) => [i, v]) : Object.entries(data)
  return entries.flatMap(([k, v]) => [[...at, k], ...paths(v, [...at, k])])
}

/** `data` with the value at `path` replaced, or left out when `value` is OMIT. */
const OMIT = Symbol('omit')
function replaced(data: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(data) as Record<string | number, unknown>
  let parent = copy
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>
  const last = path[path.length - 1]
  if (value !== OMIT) parent[last] = value
  else if (Array.isArray(parent)) parent.splice(Number(last), 1)
  else delete parent[last]
  return copy
}

describe('interpolation is checked beside schema problems', () => {
  test('a value of the wrong type is taken away, and what it held is left out with it', () => {
    const data = { version: 1, services: { web: { command: ['a', { x: 1 }], port: 'abc', env: { A: 'b' } }, db: 'mongo' } }
    assert.deepEqual(schemaAcceptedPart(data), {
      data: { version: 1, services: { web: { env: { A: 'b' } } } },
      dropped: [['services', 'web', 'command'], ['services', 'web', 'port'], ['services', 'db']],
    })
    // Not changed in place.
    assert.deepEqual(data.services.web.port, 'abc')
  })

  test('an object left without a required key goes too; a missing version does not stop the check', () => {
    assert.deepEqual(schemaAcceptedPart({ services: { web: { command: 'x', build: { context: 5 } } } })?.data, { services: { web: { command: 'x' } } })
    assert.deepEqual(schemaAcceptedPart({ version: 1, services: 'x', environments: [] })?.data, { version: 1 })
  })

  test('what was taken away makes no problem of its own: a reference to a service whose port or kind was wrong', () => {
    const file = join(dir, 'derived.yaml')
    writeFileSync(file, [
      'version: 1',
      'env_file: [3]',
      'services:',
      '  api: { command: run-api, port: "abc" }',
      '  gone: "a string"',
      '  ui:',
      '    command: run-ui',
      '    port: ${UI_PORT:-3000}',
      '    env: { API: "${services.api.url}", GONE: "${services.gone.host}", BAD: "${services.api.nope}", MISSING: "${services.nosuch.url}" }',
      '',
    ].join('\n'))
    const messages = validateConfig({ config: file, cwd: dir }).problems.map((p) => `${p.line}: ${p.message}`)
    assert.deepEqual(messages, [
      '2: must be a string, got 3',
      '4: must be an integer, got "abc"',
      '5: must be a mapping, got "a string"',
      "9: ${services.api.nope}: unknown attribute 'nope'",
      "9: ${services.nosuch.url} names unknown service 'nosuch'",
    ])
  })

  test('no notes about what was taken away: a mode dropped does not read as local mode ignoring deploy', () => {
    const file = join(dir, 'mode.yaml')
    writeFileSync(file, 'version: 1\nmode: swarmm\nservices:\n  api: { command: run, image: x, port: 8000, deploy: { replicas: 2 } }\n')
    const v = validateConfig({ config: file, cwd: dir })
    assert.deepEqual(v.problems.map((p) => p.code), ['enum'])
    assert.deepEqual(v.notes, [])
  })

  for (const file of FILES) {
    test(`${file}: every value replaced by a wrong one gives located problems, never an exception`, () => {
      const data = parseSource(readFileSync(join(root, file), 'utf8'), file).data
      // The variants live beside what the file names (cwd, build contexts): its directory's
      // entries, linked into a directory of their own.
      const home = mkdtempSync(join(dir, 'variant-'))
      const original = dirname(join(root, file))
      for (const entry of readdirSync(original)) if (!entry.endsWith('.yaml')) symlinkSync(join(original, entry), join(home, entry))
      let runs = 0
      let compiled = 0
      const all = paths(data)
      // A big file (the example) takes one wrong kind per value, in turn, to keep this test short.
      for (const [i, path] of all.entries()) {
        for (const wrong of all.length > 150 ? [WRONG[i % WRONG.length], OMIT] : [...WRONG, OMIT]) {
          const target = join(home, 'pulpo.yaml')
          const variant = replaced(data, path, wrong) as { environments?: Record<string, unknown> }
          writeFileSync(target, stringify(variant))
          const what = `${path.join('.')} ${wrong === OMIT ? 'left out' : `= ${JSON.stringify(wrong)}`}`
          for (const env of [undefined, ...Object.keys(variant.environments ?? {})]) {
            let valid = false
            try {
              const v = validateConfig({ config: target, cwd: home, env })
              for (const p of v.problems) assert.ok(p.line >= 1 && p.column >= 1, `${what}: ${JSON.stringify(p)}`)
              if (v.project) compileProject(v.project), compiled++, (valid = true)
            } catch (e) {
              assert.fail(`${what} (environment ${env ?? 'default'}): ${(e as Error).stack}`)
            }
            // Only a valid file is worth compiling in its other environments.
            if (!valid && env === undefined) break
          }
          runs++
        }
      }
      assert.ok(runs > 50 && compiled > 10, `only ${runs} variants, ${compiled} compiled`)
    })
  }
})
