/**
 * The release binary reads plain pulpo.yaml files with Bun's native YAML parser and everything else
 * with js-yaml (src/config/native-yaml.ts). These tests hold the two to the same result, under Bun
 * as in the binary: what `validate` reports (every problem, its line and column, the resolved
 * project) for every fixture and the example; and the data of seeded random documents, most of
 * them broken, wherever Bun's parser is used.
 */
import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { countKeys, readNative } from '../../src/config/native-yaml.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BUN = join(ROOT, 'node_modules', '.bin', 'bun')

describe('countKeys: the keys of plain block YAML, or undefined', () => {
  const cases: [string, string, number | undefined][] = [
    ['block mappings', 'a: 1\nb:\n  c: 2\n  d: x\n', 4],
    ['a repeated key counts twice (Bun keeps one)', 'a: 1\na: 2\n', 2],
    ['flow mappings', 'a: { b: 1, c: [x, {d: 2}] }\n', 4],
    ['sequences of mappings', 'a:\n  - b: 1\n    c: 2\n  - - d: 3\n', 4],
    ['comments and blank lines', '# a: 1\n\na: 1 # b: 2\n   # c: 3\n', 1],
    ['a block scalar is content', 'a: |\n  b: 1\n  - c: 2\n\n  # d\nb: 2\n', 2],
    ['a block scalar in a sequence', 'a:\n  - |\n    b: 1\n  - c: 1\n', 2],
    ['colons inside words and quotes', 'a: http://x:1/y\nb: "c: d"\ne: [http://x, "y: z"]\n', 3],
    ['CRLF', 'a: 1\r\nb:\r\n  c: 2\r\n', 3],
    ['a multi-line plain scalar: not plain', 'a: b\n  c\n', undefined],
    ['a multi-line quoted scalar', 'a: "b\n  c"\n', undefined],
    ['a flow mapping over lines', 'a: {b: 1,\n  c: 2}\n', undefined],
    ['an anchor', 'a: &x 1\nb: *x\n', undefined],
    ['a tag', 'a: !!str 1\n', undefined],
    ['a merge key', 'a: {b: 1}\nc:\n  <<: {d: 1}\n', undefined],
    ['an explicit key', '? a\n: 1\n', undefined],
    ['a quoted key', '"a": 1\n', undefined],
    ['a second document', 'a: 1\n---\nb: 2\n', undefined],
    ['a tab', 'a:\n\tb: 1\n', undefined],
    ['a pair inside a flow sequence', 'a: [b: 1]\n', undefined],
  ]
  for (const [name, text, keys] of cases) test(name, () => assert.equal(countKeys(text), keys))
})

test('outside Bun (node) there is no native parser: js-yaml reads every file', () => {
  assert.equal(readNative('a: 1\n'), undefined)
  assert.deepEqual(readNative('a: 1\n', () => ({ a: 1 })), { a: 1 })
  // A key Bun's parser kept only once is a key missing from its data.
  assert.equal(readNative('a: 1\na: 2\n', () => ({ a: 2 })), undefined)
})

describe('under Bun, as in the binary', () => {
  const fixtures = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? fixtures(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : []))
  const files = [...fixtures(join(ROOT, 'test', 'fixtures')), join(ROOT, 'pulpo.example.yaml')]
  let out: { files: { file: string; native: boolean; result: unknown; jsYamlOnly: unknown }[]; corpus: { documents: number; native: number; mismatches: string[] } }

  before(() => {
    delete process.env.PULPO_ENV
    for (const k of Object.keys(process.env)) if (k.startsWith('PULPO_FIXTURE_')) delete process.env[k]
    out = JSON.parse(execFileSync(BUN, [join(ROOT, 'test', 'unit', 'bun', 'native-yaml.ts'), ...files], { cwd: ROOT, env: process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }))
  })

  test('validate reports the same for every fixture and the example, whichever parser reads it', () => {
    assert.equal(out.files.length, files.length)
    for (const f of out.files) assert.deepEqual(f.result, f.jsYamlOnly, f.file)
  })

  test("most files are read by Bun's parser; none with a repeated key", () => {
    const native = out.files.filter((f) => f.native)
    assert.ok(native.length > out.files.length / 2, `only ${native.length} of ${out.files.length}`)
    assert.ok(native.some((f) => f.file.endsWith('pulpo.example.yaml')), 'the example')
    for (const f of out.files) if (/duplicate/.test(f.file)) assert.equal(f.native, false, f.file)
  })

  test('random documents: where Bun reads one, js-yaml reads the same data', () => {
    assert.ok(out.corpus.native > out.corpus.documents / 4, `Bun's parser read only ${out.corpus.native} of ${out.corpus.documents}`)
    assert.deepEqual(out.corpus.mismatches, [])
  })
})
