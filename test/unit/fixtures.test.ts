/**
 * The validation corpus: every file under test/fixtures/invalid/ declares, in comment lines at its
 * top, the problems `pulpo validate` must report for it, and nothing else; every file under
 * test/fixtures/valid/ must validate with no problem.
 *
 * Header grammar (one directive per line; strings are JSON string literals):
 *
 *   # expect: LINE:COLUMN PATH "message fragment" [hint="exact hint" | hint~="hint fragment"]
 *   # env: NAME
 *
 * PATH is the problem's JSON pointer, or (root) for the empty pointer. A problem matches when its
 * line, column and path are equal, its message includes the fragment, and its hint is the one
 * given (when one is given). Each problem matches at most one expectation, and a file reports
 * exactly as many problems as it has `expect` lines. `env` is validated as if given with --env.
 */
import { test, describe, before } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { validateConfig } from '../../src/config/load.js'
import type { Problem } from '../../src/errors.js'

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))
const INVALID = join(FIXTURES, 'invalid')
const VALID = join(FIXTURES, 'valid')

interface Expectation {
  line: number
  column: number
  path: string
  message: string
  hint?: { text: string; partial: boolean }
  /** The header line, for failure messages. */
  source: string
}

interface Fixture {
  name: string
  env?: string
  expectations: Expectation[]
}

const STRING = String.raw`"(?:[^"\\]|\\.)*"`
const EXPECT = new RegExp(String.raw`^# expect: (\d+):(\d+) (\S+) (${STRING})(?: hint(~?)=(${STRING}))?$`)

function parseFixture(dir: string, name: string): Fixture {
  const fixture: Fixture = { name, expectations: [] }
  for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
    if (line.startsWith('# env:')) fixture.env = line.slice('# env:'.length).trim()
    if (!line.startsWith('# expect:')) continue
    // A line that looks like a directive but does not parse must fail loudly, not be skipped.
    const m = EXPECT.exec(line)
    if (!m) throw new Error(`${name}: cannot parse ${JSON.stringify(line)}`)
    const [, l, c, path, message, partial, hint] = m
    fixture.expectations.push({
      line: Number(l),
      column: Number(c),
      path: path === '(root)' ? '' : path,
      message: JSON.parse(message),
      ...(hint !== undefined ? { hint: { text: JSON.parse(hint), partial: partial === '~' } } : {}),
      source: line,
    })
  }
  return fixture
}

const yamlFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()

/** A problem written in the header grammar, so a failure shows what to compare with. */
const asExpect = (p: Problem) =>
  `# expect: ${p.line}:${p.column} ${p.path || '(root)'} ${JSON.stringify(p.message)}${p.hint ? ` hint=${JSON.stringify(p.hint)}` : ''}`

const matches = (e: Expectation, p: Problem) =>
  p.line === e.line &&
  p.column === e.column &&
  p.path === e.path &&
  p.message.includes(e.message) &&
  (!e.hint || (e.hint.partial ? (p.hint ?? '').includes(e.hint.text) : p.hint === e.hint.text))

function validate(dir: string, fixture: Fixture): Problem[] {
  return validateConfig({ config: join(dir, fixture.name), env: fixture.env, cwd: dir }).problems
}

// The shell running the tests must not choose the environment or satisfy a `${VAR:?}` for them.
before(() => {
  delete process.env.PULPO_ENV
  for (const k of Object.keys(process.env)) if (k.startsWith('PULPO_FIXTURE_')) delete process.env[k]
})

describe('invalid fixtures', () => {
  const files = yamlFiles(INVALID)

  test('the corpus has at least 40 files, each expecting at least one problem', () => {
    assert.ok(files.length >= 40, `only ${files.length} invalid fixtures`)
    for (const name of files) assert.ok(parseFixture(INVALID, name).expectations.length > 0, `${name} has no '# expect:' line`)
  })

  for (const name of files) {
    test(name, () => {
      const fixture = parseFixture(INVALID, name)
      const problems = validate(INVALID, fixture)
      const actual = problems.map(asExpect).join('\n')
      const unmatched = [...problems]
      for (const e of fixture.expectations) {
        const i = unmatched.findIndex((p) => matches(e, p))
        assert.ok(i >= 0, `no problem matches\n  ${e.source}\nactual problems:\n${actual}`)
        unmatched.splice(i, 1)
      }
      assert.equal(problems.length, fixture.expectations.length, `expected ${fixture.expectations.length} problems, got ${problems.length}:\n${actual}`)
      for (const p of problems) assert.equal(p.file, name, 'problems name the file as given, relative to cwd')
    })
  }
})

describe('valid fixtures', () => {
  const files = yamlFiles(VALID)

  test('the corpus has at least 5 files', () => {
    assert.ok(files.length >= 5, `only ${files.length} valid fixtures`)
  })

  for (const name of files) {
    test(name, () => {
      const fixture = parseFixture(VALID, name)
      assert.equal(fixture.expectations.length, 0, 'a valid fixture expects no problem')
      const v = validateConfig({ config: join(VALID, name), env: fixture.env, cwd: VALID })
      assert.deepEqual(v.problems.map(asExpect), [])
      assert.ok(v.project, 'a valid file resolves to a project')
      if (fixture.env) assert.equal(v.project.environment, fixture.env)
    })
  }
})
