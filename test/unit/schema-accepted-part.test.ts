/**
 * A file with schema problems is still checked for interpolation, in the part the schema accepts
 * (config/schema.ts's schemaAcceptedPart). That pass runs on data of any shape: every value of
 * real files, replaced by a value of each wrong kind, must give problems, never an exception.
 */
import { describe, test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { validateConfig } from '../../src/config/load.js'
import { schemaAcceptedPart } from '../../src/config/schema.js'
import { parseSource } from '../../src/config/source.js'

const root = join(import.meta.dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'pulpo-accepted-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const FILES = ['pulpo.example.yaml', 'test/fixtures/kubernetes/pulpo.yaml', 'test/fixtures/valid/environments.yaml', 'test/fixtures/valid/probes.yaml', 'test/fixtures/valid/images.yaml']
// Empty, a string where a mapping or list belongs, a list holding a mapping, a mapping holding a list.
const WRONG: unknown[] = [null, 'x', [1, { k: 1 }], { k: [1] }]

/** Every path to a value in `data`, the root excepted. */
function paths(data: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (data === null || typeof data !== 'object') return []
  const entries: [string | number, unknown][] = Array.isArray(data) ? data.map((v, i) => [i, v]) : Object.entries(data)
  return entries.flatMap(([k, v]) => [[...at, k], ...paths(v, [...at, k])])
}

function replaced(data: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(data) as Record<string | number, unknown>
  let parent = copy
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>
  parent[path[path.length - 1]] = value
  return copy
}

describe('interpolation is checked beside schema problems', () => {
  test('a value of the wrong type is taken away, and what it held is left out with it', () => {
    const data = { version: 1, services: { web: { command: ['a', { x: 1 }], port: 'abc', env: { A: 'b' } }, db: 'mongo' } }
    assert.deepEqual(schemaAcceptedPart(data), { version: 1, services: { web: { env: { A: 'b' } } } })
    // Not changed in place.
    assert.deepEqual(data.services.web.port, 'abc')
  })

  test('an object left without a required key goes too; a missing version does not stop the check', () => {
    assert.deepEqual(schemaAcceptedPart({ services: { web: { command: 'x', build: { context: 5 } } } }), { services: { web: { command: 'x' } } })
    assert.equal(schemaAcceptedPart({ version: 1, services: 'x', environments: [] }) !== undefined, true)
  })

  for (const file of FILES) {
    test(`${file}: every value replaced by a wrong one gives located problems, never an exception`, () => {
      const data = parseSource(readFileSync(join(root, file), 'utf8'), file).data
      let runs = 0
      for (const path of paths(data)) {
        for (const wrong of WRONG) {
          const target = join(dir, 'pulpo.yaml')
          writeFileSync(target, stringify(replaced(data, path, wrong)))
          let problems
          try {
            problems = validateConfig({ config: target, cwd: dir }).problems
          } catch (e) {
            assert.fail(`${path.join('.')} = ${JSON.stringify(wrong)}: ${(e as Error).stack}`)
          }
          for (const p of problems) assert.ok(p.line >= 1 && p.column >= 1, JSON.stringify(p))
          runs++
        }
      }
      assert.ok(runs > 50, `only ${runs} variants`)
    })
  }
})
