/**
 * What pulpo does with a file that is not a sane pulpo.yaml: a directory, a huge or binary file,
 * thousands of problems. Each is refused or capped with one clear message.
 */
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { validateConfig } from '../../src/config/load.js'
import { decodeText, MAX_FILE_BYTES, parseSource, readSource, withData } from '../../src/config/source.js'
import { isPulpoError, InvalidConfigError } from '../../src/errors.js'
import { errorJson } from '../../src/base.js'
import { capProblems, MAX_PROBLEMS, renderProblems } from '../../src/render/problems.js'
import { closest, osaDistance, someNames } from '../../src/util/didyoumean.js'
import { envDuration } from '../../src/util/duration.js'

const dir = mkdtempSync(join(tmpdir(), 'pulpo-hostile-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const refusal = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    assert.ok(isPulpoError(e), `not a PulpoError: ${e}`)
    return e
  }
  assert.fail('expected a refusal')
}

describe('files that are not a pulpo.yaml', () => {
  test('a directory: says so, and names the file to pass', () => {
    const e = refusal(() => readSource(dir, dir))
    assert.equal(e.code, 'config-unreadable')
    assert.match(e.message, /is a directory, not a pulpo\.yaml/)
    assert.doesNotMatch(e.message, /EISDIR/)
    assert.match(e.hints[0], /-c .*pulpo\.yaml/)
  })

  test('over the size limit: refused before it is read, with the size and the limit', () => {
    const big = join(dir, 'big.yaml')
    writeFileSync(big, '')
    truncateSync(big, MAX_FILE_BYTES + 1024 * 1024) // sparse: no 17 MiB written to disk
    const e = refusal(() => readSource(big, dir))
    assert.equal(e.code, 'config-too-large')
    assert.match(e.message, /big\.yaml is 17\.0 MiB; pulpo reads files of at most 16 MiB/)
  })

  test('a NUL byte: not text, with the line it is on', () => {
    const e = refusal(() => decodeText(Buffer.from('version: 1\nproject: x\0y\n'), 'bin.yaml'))
    assert.equal(e.code, 'config-not-text')
    assert.equal(e.message, 'bin.yaml:2: a NUL byte: this is not a YAML text file')
  })

  test('invalid UTF-8: not text, with the line; valid multi-byte text passes', () => {
    const e = refusal(() => decodeText(Buffer.from([...Buffer.from('a: "é"\nb: '), 0xc3, 0x28, 0x0a]), 'latin.yaml'))
    assert.equal(e.message, 'latin.yaml:2: invalid UTF-8: this is not a YAML text file')
    assert.equal(decodeText(Buffer.from('a: "é ✔ 🐙"\n'), 'ok.yaml'), 'a: "é ✔ 🐙"\n')
  })
})

describe('many problems', () => {
  const thousand = () => {
    let y = 'version: 1\nproject: p\nservices:\n'
    for (let i = 0; i < 1000; i++) y += `  s${i}:\n    command: [x]\n    depends_on: [nope${i}]\n`
    const file = join(dir, 'thousand.yaml')
    writeFileSync(file, y)
    return validateConfig({ config: file, cwd: dir })
  }

  test('all 1000 are found, each at its own line', () => {
    const v = thousand()
    assert.equal(v.problems.length, 1000)
    assert.deepEqual(v.problems.slice(0, 2).map((p) => p.line), [6, 9])
    assert.equal(v.problems[999].line, 3 + 999 * 3 + 3)
  })

  test(`the output shows the first ${MAX_PROBLEMS} and says how many more there are`, () => {
    const v = thousand()
    const text = renderProblems(v.problems)
    assert.match(text, /thousand\.yaml: 1000 problems/)
    assert.match(text, /… and 800 more problems not shown \(the first 200 in file order are above\)/)
    assert.equal(text.split('\n').filter((l) => /depends on unknown service/.test(l)).length, MAX_PROBLEMS)
    const json = errorJson(new InvalidConfigError(v.problems))
    assert.equal(json.problems?.length, MAX_PROBLEMS)
    assert.equal(json.problems_total, 1000)
    assert.equal(json.problems_not_shown, 800)
    assert.deepEqual(capProblems([1, 2, 3]), { shown: [1, 2, 3], more: 0 })
  })
})

describe('did you mean', () => {
  test('a transposition is one edit (optimal string alignment)', () => {
    assert.equal(osaDistance('wbe', 'web'), 1)
    assert.equal(osaDistance('prot', 'port'), 1)
    assert.equal(osaDistance('kitten', 'sitting'), 3)
    assert.equal(osaDistance('', 'abc'), 3)
    assert.equal(osaDistance('ca', 'abc'), 3) // OSA, not full Damerau: no edit of a transposed pair
    assert.equal(closest('wbe', ['db', 'web', 'worker']), 'web')
    assert.equal(closest('xyz', ['db', 'web']), undefined)
  })
})

describe('hints and durations', () => {
  test('a hint names at most 10 names, and how many there are', () => {
    assert.equal(someNames(['a', 'b']), 'a, b')
    const many = Array.from({ length: 1000 }, (_, i) => `s${i}`)
    assert.equal(someNames(many), 's0, s1, s2, s3, s4, s5, s6, s7, s8, s9, … (1000 in all)')
  })

  test('PULPO_LOCK_TIMEOUT: a bare number is seconds, a unit is honoured, garbage is refused', () => {
    assert.equal(envDuration('T', 5, {}), 5)
    assert.equal(envDuration('T', 5, { T: '' }), 5)
    assert.equal(envDuration('T', 5, { T: '1' }), 1000)
    assert.equal(envDuration('T', 5, { T: '2.5' }), 2500)
    assert.equal(envDuration('T', 5, { T: '1s' }), 1000)
    assert.equal(envDuration('T', 5, { T: '300ms' }), 300)
    const e = refusal(() => envDuration('T', 5, { T: '1 minute' }))
    assert.equal(e.exitCode, 2)
    assert.equal(e.message, "T='1 minute' is not a duration")
  })
})

describe('positions are parsed only when a problem needs them', () => {
  test('withData keeps the source lazy: no parse with positions until one is located', () => {
    const source = parseSource('version: 1\nservices: {}\n', join(dir, 'lazy.yaml'), dir)
    let parsed = 0
    const doc = Object.getOwnPropertyDescriptor(source, 'doc')!.get!
    Object.defineProperty(source, 'doc', { get: () => (parsed++, doc()) })
    const copy = withData(source, { version: 1, services: { a: {} } })
    assert.equal(parsed, 0, 'making the copy parsed the file')
    assert.deepEqual(copy.data, { version: 1, services: { a: {} } })
    assert.equal(copy.file, source.file)
    assert.ok(copy.doc.contents)
    assert.equal(parsed, 1)
  })
})
