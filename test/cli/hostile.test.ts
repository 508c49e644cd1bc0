/**
 * The built binary given hostile input or odd flags: each gets one clear line and the right exit
 * code, never a raw errno, a stack trace or a parser library's advice.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { assertNoStackTrace, BIN, ensureBinary, PKG, pulpo, removeDir, show, tempDir } from './helpers.js'

let dir: string
before(async () => {
  await ensureBinary()
  dir = tempDir({ 'pulpo.yaml': 'version: 1\nproject: hostile\nservices: {}\n', 'sub/.keep': '' })
})
after(() => removeDir(dir))

describe('hostile input', () => {
  test('-c on a directory: a clear message, not EISDIR', async () => {
    const r = await pulpo(['validate', '-c', 'sub'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /sub is a directory, not a pulpo\.yaml/, show(r))
    assert.doesNotMatch(r.stderr + r.stdout, /EISDIR/)
    assertNoStackTrace(r)
  })

  test('-c on a binary: refused up front, one message, not thousands of problems', async () => {
    // A small binary-looking file, under the size limit: it is the NUL byte that gives it away.
    writeFileSync(join(dir, 'blob.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x0a, 0x3a, 0x3a]))
    const r = await pulpo(['validate', '-c', 'blob.bin', '--json'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    const out = JSON.parse(r.stdout)
    assert.equal(out.error.code, 'config-not-text', show(r))
    assert.equal(out.error.message, 'blob.bin:1: a NUL byte: this is not a YAML text file')
  })

  test('-c on the pulpo binary itself: refused for its size', async () => {
    const r = await pulpo(['config', '-c', BIN], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /is \d+\.\d MiB; pulpo reads files of at most 16 MiB/, show(r))
    assert.ok(r.stderr.length < 1000, show(r))
  })

  test('a multi-document file: pulpo\'s own message, no library advice', async () => {
    writeFileSync(join(dir, 'two.yaml'), 'version: 1\nservices: {}\n---\nversion: 1\n')
    const r = await pulpo(['validate', '-c', 'two.yaml'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /two\.yaml:3:1: a second YAML document starts here: a pulpo\.yaml is one document/, show(r))
    assert.doesNotMatch(r.stderr, /parseAllDocuments|please use/i)
  })

  test('1000 problems: 200 shown and the rest counted, in the text and in --json', async () => {
    let y = 'version: 1\nproject: many\nservices:\n'
    for (let i = 0; i < 1000; i++) y += `  s${i}:\n    command: [x]\n    depends_on: [nope${i}]\n`
    writeFileSync(join(dir, 'many.yaml'), y)
    const text = await pulpo(['validate', '-c', 'many.yaml'], { cwd: dir })
    assert.equal(text.exitCode, 1)
    assert.match(text.stderr, /many\.yaml: 1000 problems/)
    assert.match(text.stderr, /… and 800 more problems not shown/)
    const json = await pulpo(['validate', '-c', 'many.yaml', '--json'], { cwd: dir })
    const out = JSON.parse(json.stdout)
    assert.equal(out.errors.length, 200)
    assert.equal(out.errors_total, 1000)
    assert.equal(out.errors_not_shown, 800)
    // A hint lists a few services, not all thousand of them for each of the thousand problems (nor
    // the one that depends: s0's hint lists the 999 others).
    assert.match(out.errors[0].hint, /^services are: s1, s2, .*, … \(999 in all\)$/)
    const config = await pulpo(['config', '-c', 'many.yaml', '--json'], { cwd: dir })
    const err = JSON.parse(config.stdout).error
    assert.equal(err.problems.length, 200)
    assert.equal(err.problems_total, 1000)
    assert.equal(err.problems_not_shown, 800)
  })
})

describe('flags and environment variables', () => {
  test('logs --tail -3: a usage error, exit 2', async () => {
    const r = await pulpo(['logs', '--tail', '-3'], { cwd: dir })
    assert.equal(r.exitCode, 2, show(r))
    assert.match(r.stderr, /--tail must be a number of lines \(0 or more\) or "all", not '-3'/)
  })

  test('PULPO_LOCK_TIMEOUT that is not a duration: a usage error naming it, exit 2', async () => {
    const r = await pulpo(['up'], { cwd: dir, env: { PULPO_LOCK_TIMEOUT: 'soon' } })
    assert.equal(r.exitCode, 2, show(r))
    assert.match(r.stderr, /PULPO_LOCK_TIMEOUT='soon' is not a duration/, show(r))
    assertNoStackTrace(r)
  })

  test('counts are pluralised: "1 service", not "1 services"', async () => {
    const one = tempDir({ 'pulpo.yaml': 'version: 1\nproject: one\nservices:\n  only: { command: "sleep 60" }\n' })
    try {
      const up = await pulpo(['up'], { cwd: one })
      assert.equal(up.exitCode, 0, show(up))
      assert.match(up.stdout, /one is up \(1 service, 1 changed\)/, show(up))
      const again = await pulpo(['up'], { cwd: one })
      assert.match(again.stdout, /one is up to date \(1 service running\)/, show(again))
      const v = await pulpo(['validate'], { cwd: one })
      assert.match(v.stdout, /1 service, 0 operations/, show(v))
    } finally {
      await pulpo(['down'], { cwd: one })
      removeDir(one)
    }
  })

  test('--version: pulpo\'s version, the commit and its date; not the runtime', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await pulpo([flag], { cwd: dir })
      assert.equal(r.exitCode, 0, show(r))
      assert.match(r.stdout.trim(), new RegExp(`^${PKG.name}/${PKG.version.replace(/\./g, '\\.')} \\([0-9a-f]{7}(\\+dirty)?, \\d{4}-\\d{2}-\\d{2}\\)$`), show(r))
      assert.doesNotMatch(r.stdout, /node-v|bun/i)
    }
  })

  test('the prefect topic has its own description, not its first command\'s', async () => {
    const r = await pulpo(['prefect', '--help'], { cwd: dir })
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stdout.split('\n')[0], /^Run, deploy and list the Prefect flows/)
  })

  test('a docker_host with a password in its URL: the error masks it, as text and as --json', async () => {
    const swarm = tempDir({ 'pulpo.yaml': 'version: 1\nproject: hostile-swarm\nenvironments:\n  prod: { mode: swarm, docker_host: "ssh://deploy:hunter2pw@127.0.0.1:1" }\nservices:\n  web: { image: "nginx:1", port: 80 }\n' })
    try {
      for (const args of [['plan', '-e', 'prod'], ['plan', '-e', 'prod', '--json']]) {
        const r = await pulpo(args, { cwd: swarm })
        assert.equal(r.exitCode, 1, show(r))
        assert.match(r.stdout + r.stderr, /ssh:\/\/deploy:\*\*\*@127\.0\.0\.1:1/, show(r))
        assert.ok(!(r.stdout + r.stderr).includes('hunter2pw'), show(r))
        assertNoStackTrace(r)
      }
    } finally {
      removeDir(swarm)
    }
  })
})
