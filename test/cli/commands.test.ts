/**
 * validate, config and init as a user runs them: the built binary, exit codes, human output and
 * the JSON contract of the spec (docs: pulpo-yaml.md, "JSON shapes").
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ANSI, assertNoStackTrace, ensureBinary, EXAMPLE, pulpo, removeDir, show, tempDir, type Run } from './helpers.js'

const temps: string[] = []
/** A temporary project; removed after the tests. */
function project(files: Record<string, string>): string {
  const dir = tempDir(files)
  temps.push(dir)
  return dir
}

before(ensureBinary)
after(() => temps.forEach(removeDir))

const json = (r: Run) => {
  try {
    return JSON.parse(r.stdout)
  } catch {
    assert.fail(`stdout is not JSON: ${show(r)}`)
  }
}

/** Lines of the form `FILE:LINE:COL: message`, as editors and CI annotators read them. */
const locatedLines = (text: string) =>
  [...text.matchAll(/^\s*(\S+?):(\d+):(\d+): (.+)$/gm)].map((m) => ({ file: m[1], line: Number(m[2]), column: Number(m[3]), message: m[4] }))

// Line numbers matter below: the problems are at 10:5 (prot), 12:7 (dbb) and 13:20 (health).
const INVALID = `version: 1
project: bad
services:
  db:
    kind: mongodb
    port: 27017
  api:
    command: run-api
    port: 8000
    prot: 9
    depends_on:
      dbb: healthy
    ready: { http: health }
environments:
  dev:
    mode: local
`

// A secret (API_TOKEN) copied into a non-secret name, embedded in a URL and in a command; a
// service disabled in prod; a required variable.
const SECRETS = `version: 1
project: sec
services:
  api:
    command: run-api --token \${API_TOKEN}
    port: 8000
    env:
      TOKEN_COPY: \${API_TOKEN}
      URL: http://u:\${API_TOKEN}@h
  worker:
    command: work
    env:
      NEED: \${X:?need X}
environments:
  dev: {}
  prod:
    mode: docker
    services:
      api: { image: "api:1" }
      worker: { enabled: false }
`

describe('validate', () => {
  test('the example project is valid: exit 0, and --json is {valid: true, errors: []}', async () => {
    const r = await pulpo(['validate', '-c', EXAMPLE])
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stdout, /is valid/)
    const j = await pulpo(['validate', '-c', EXAMPLE, '--json'])
    assert.equal(j.exitCode, 0, show(j))
    const body = json(j)
    assert.equal(body.valid, true)
    assert.deepEqual(body.errors, [])
  })

  test('an invalid file: exit 1, FILE:LINE:COL: message lines with hints, no stack trace', async () => {
    const dir = project({ 'pulpo.yaml': INVALID })
    const r = await pulpo(['validate'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    const lines = locatedLines(r.stderr)
    assert.ok(lines.length >= 3, `expected at least 3 located problems: ${show(r)}`)
    for (const l of lines) assert.equal(l.file, 'pulpo.yaml')
    const prot = lines.find((l) => /prot/.test(l.message))
    assert.deepEqual(prot && [prot.line, prot.column], [10, 5], show(r))
    const dbb = lines.find((l) => /dbb/.test(l.message))
    assert.deepEqual(dbb && [dbb.line, dbb.column], [12, 7], show(r))
    assert.match(r.stderr, /^\s*pulpo\.yaml:12:7: .*dbb.*\n\s*hint: did you mean 'db'\?$/m, show(r))
    const health = lines.find((l) => /health/.test(l.message))
    assert.deepEqual(health && [health.line, health.column], [13, 20], show(r))
  })

  test('validate --json on an invalid file: the contract shape, exit 1, the same problems', async () => {
    const dir = project({ 'pulpo.yaml': INVALID })
    const r = await pulpo(['validate', '--json'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    const body = json(r)
    assert.equal(body.valid, false)
    assert.ok(Array.isArray(body.errors) && body.errors.length >= 3, show(r))
    for (const e of body.errors) {
      assert.equal(typeof e.file, 'string')
      assert.ok(Number.isInteger(e.line) && e.line >= 1, JSON.stringify(e))
      assert.ok(Number.isInteger(e.column) && e.column >= 1, JSON.stringify(e))
      assert.match(e.path, /^(\/.*)?$/, JSON.stringify(e))
      assert.ok(typeof e.message === 'string' && e.message.length > 0, JSON.stringify(e))
      if ('hint' in e) assert.ok(typeof e.hint === 'string' && e.hint.length > 0, JSON.stringify(e))
    }
    const dbb = body.errors.find((e: { path: string }) => e.path === '/services/api/depends_on/dbb')
    assert.ok(dbb, `no error at /services/api/depends_on/dbb: ${r.stdout}`)
    assert.equal(dbb.file, 'pulpo.yaml')
    assert.equal(dbb.line, 12)
    assert.equal(dbb.column, 7)
    assert.equal(dbb.hint, "did you mean 'db'?")
    assert.ok(body.errors.some((e: { path: string }) => e.path === '/services/api/prot'), r.stdout)
    // The human output reports the same problems at the same places.
    const human = await pulpo(['validate'], { cwd: dir })
    assert.deepEqual(
      locatedLines(human.stderr).map((l) => `${l.line}:${l.column}`),
      body.errors.map((e: { line: number; column: number }) => `${e.line}:${e.column}`),
    )
  })

  test('validate --json on YAML it cannot read names the environment asked for, by -e or PULPO_ENV', async () => {
    const dir = project({ 'pulpo.yaml': 'version: 1\nservices:\n  a: { command: "x"\n' })
    for (const [args, env] of [[['-e', 'prod'], {}], [[], { PULPO_ENV: 'prod' }]] as const) {
      const r = await pulpo(['validate', '--json', ...args], { cwd: dir, env })
      assert.equal(r.exitCode, 1, show(r))
      assert.equal(json(r).environment, 'prod', show(r))
      assert.equal(json(r).errors[0].code, 'yaml-syntax', show(r))
    }
  })

  test('NO_COLOR=1 gives no ANSI escapes; FORCE_COLOR=1 gives colours', async () => {
    const dir = project({ 'pulpo.yaml': INVALID })
    const plain = await pulpo(['validate'], { cwd: dir, env: { NO_COLOR: '1' } })
    assert.equal(plain.exitCode, 1, show(plain))
    assert.doesNotMatch(plain.stderr + plain.stdout, ANSI)
    assert.ok(locatedLines(plain.stderr).length >= 3)
    const coloured = await pulpo(['validate'], { cwd: dir, env: { FORCE_COLOR: '1' } })
    assert.equal(coloured.exitCode, 1, show(coloured))
    assert.match(coloured.stderr, ANSI)
    // Colours do not break the location lines once stripped.
    assert.deepEqual(locatedLines(coloured.stderr.replace(/\u001b\[[0-9;]*m/g, '')), locatedLines(plain.stderr))
    // A pipe without either variable: no colours.
    const piped = await pulpo(['validate'], { cwd: dir })
    assert.doesNotMatch(piped.stderr, ANSI)
  })

  test('a missing ${X:?need X}: exit 1 with the message; set, it validates', async () => {
    const dir = project({ 'pulpo.yaml': SECRETS })
    const r = await pulpo(['validate'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /need X/)
    assert.match(r.stderr, /^\s*pulpo\.yaml:13:\d+: .*need X/m, show(r))
    assertNoStackTrace(r)
    const j = await pulpo(['validate', '--json'], { cwd: dir })
    assert.equal(j.exitCode, 1, show(j))
    assert.ok(json(j).errors.some((e: { message: string; path: string }) => /need X/.test(e.message) && e.path === '/services/worker/env/NEED'), j.stdout)
    const c = await pulpo(['config'], { cwd: dir })
    assert.equal(c.exitCode, 1, show(c))
    assert.match(c.stderr, /need X/)
    assertNoStackTrace(c)
    const ok = await pulpo(['validate'], { cwd: dir, env: { X: 'x' } })
    assert.equal(ok.exitCode, 0, show(ok))
  })

  test('a required variable of a service disabled in the selected environment is not required', async () => {
    const dir = project({ 'pulpo.yaml': SECRETS })
    const r = await pulpo(['validate', '--env', 'prod'], { cwd: dir })
    assert.equal(r.exitCode, 0, show(r))
  })

  test('-c naming a missing file: exit 1, a clear message, no stack trace', async () => {
    const dir = project({})
    for (const cmd of ['validate', 'config']) {
      const r = await pulpo([cmd, '-c', 'missing.yaml'], { cwd: dir })
      assert.equal(r.exitCode, 1, `${cmd}: ${show(r)}`)
      assert.match(r.stderr, /missing\.yaml/)
      assert.match(r.stderr, /no such file|not found/i)
      assertNoStackTrace(r)
      const j = await pulpo([cmd, '-c', 'missing.yaml', '--json'], { cwd: dir })
      assert.equal(j.exitCode, 1, `${cmd} --json: ${show(j)}`)
      assert.match(j.stdout, /missing\.yaml/)
      json(j)
      assertNoStackTrace(j)
    }
  })

  test('no pulpo.yaml here or above: exit 1, points at init and -c', async () => {
    const dir = project({})
    const r = await pulpo(['validate'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /no pulpo\.yaml/)
    assert.match(r.stderr, /pulpo init/)
    assertNoStackTrace(r)
  })

  test('an unknown --env: exit 1, no stack trace', async () => {
    const r = await pulpo(['validate', '-c', EXAMPLE, '--env', 'staging'])
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /unknown environment 'staging'/)
    assertNoStackTrace(r)
  })
})

describe('config', () => {
  test('${services.db.url} resolves per backend: local in dev, the compose service name with --env server', async () => {
    const dev = await pulpo(['config', '-c', EXAMPLE, '--json'])
    assert.equal(dev.exitCode, 0, show(dev))
    const d = json(dev)
    assert.equal(d.environment, 'dev')
    assert.equal(d.mode, 'local')
    assert.equal(d.env.JOBS_MONGO_URL, 'mongodb://127.0.0.1:27017')
    assert.equal(d.services.ui.env.API_URL, 'http://127.0.0.1:8000')
    assert.equal(d.services.api.env.LOG_LEVEL, 'debug')
    const prod = await pulpo(['config', '-c', EXAMPLE, '--json', '--env', 'server'])
    assert.equal(prod.exitCode, 0, show(prod))
    const p = json(prod)
    assert.equal(p.environment, 'server')
    assert.equal(p.mode, 'docker')
    assert.equal(p.env.JOBS_MONGO_URL, 'mongodb://db:27017')
    assert.equal(p.services.ui.env.API_URL, 'http://api:8000')
    assert.equal(p.services.api.env.LOG_LEVEL, 'warning')
    assert.equal(p.services.api.restart, 'always')
  })

  test('the human form is YAML of the same data', async () => {
    const r = await pulpo(['config', '-c', EXAMPLE])
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stdout, /^project: jobs$/m)
    assert.match(r.stdout, /^\s+JOBS_MONGO_URL: mongodb:\/\/127\.0\.0\.1:27017$/m)
  })

  test('PULPO_ENV=server selects server; --env beats PULPO_ENV', async () => {
    const r = await pulpo(['config', '-c', EXAMPLE, '--json'], { env: { PULPO_ENV: 'server' } })
    assert.equal(r.exitCode, 0, show(r))
    assert.equal(json(r).environment, 'server')
    assert.equal(json(r).env.JOBS_MONGO_URL, 'mongodb://db:27017')
    const flag = await pulpo(['config', '-c', EXAMPLE, '--json', '--env', 'dev'], { env: { PULPO_ENV: 'server' } })
    assert.equal(flag.exitCode, 0, show(flag))
    assert.equal(json(flag).environment, 'dev')
  })

  test('enabled: false drops a service in that environment only', async () => {
    const dir = project({ 'pulpo.yaml': SECRETS })
    const dev = await pulpo(['config', '--json'], { cwd: dir, env: { X: 'x' } })
    assert.equal(dev.exitCode, 0, show(dev))
    assert.deepEqual(Object.keys(json(dev).services).sort(), ['api', 'worker'])
    const prod = await pulpo(['config', '--json', '--env', 'prod'], { cwd: dir })
    assert.equal(prod.exitCode, 0, show(prod))
    assert.deepEqual(Object.keys(json(prod).services), ['api'])
  })

  test('secrets are masked everywhere, human and --json, from the environment or from .env', async () => {
    const secret = 'supersecret'
    const fromShell = project({ 'pulpo.yaml': SECRETS })
    const fromDotenv = project({ 'pulpo.yaml': SECRETS, '.env': `API_TOKEN=${secret}\n` })
    const cases: [string, string, Record<string, string>][] = [
      ['environment', fromShell, { API_TOKEN: secret, X: 'x' }],
      ['.env', fromDotenv, { X: 'x' }],
    ]
    for (const [where, dir, env] of cases) {
      for (const args of [['config'], ['config', '--json'], ['config', '--env', 'prod'], ['config', '--json', '--env', 'prod'], ['validate'], ['validate', '--json']]) {
        const r = await pulpo(args, { cwd: dir, env })
        assert.equal(r.exitCode, 0, `${where}: ${args.join(' ')}: ${show(r)}`)
        assert.ok(!(r.stdout + r.stderr).includes(secret), `${where}: ${args.join(' ')} shows the secret:\n${show(r)}`)
      }
      const body = json(await pulpo(['config', '--json'], { cwd: dir, env }))
      // Masked, not dropped: the values are there, with *** where the secret was.
      assert.equal(body.services.api.env.TOKEN_COPY, '***', where)
      assert.equal(body.services.api.env.URL, 'http://u:***@h', where)
      assert.equal(body.services.api.command, 'run-api --token ***', where)
    }
  })

  test('a built-in kind without port: listens on its usual one, which its probe and ${services.NAME.url} use', async () => {
    const dir = project({
      'pulpo.yaml': `version: 1
project: ports
services:
  db: { kind: mongodb }
  prefect: { kind: prefect }
  api:
    command: run-api
    env: { MONGO: "\${services.db.url}", PREFECT: "\${services.prefect.url}/api", P: "\${services.db.port}" }
`,
    })
    const r = await pulpo(['config', '--json'], { cwd: dir })
    assert.equal(r.exitCode, 0, show(r))
    const { services } = json(r)
    assert.deepEqual(services.api.env, { MONGO: 'mongodb://127.0.0.1:27017', PREFECT: 'http://127.0.0.1:4200/api', P: '27017' })
    assert.equal(services.db.port, 27017)
    assert.equal(services.prefect.port, 4200)
  })

  test('datamodels are shown where up puts them: the only mongodb service, the project\'s database, the key as collection', async () => {
    const dir = project({ 'pulpo.yaml': 'version: 1\nproject: shop\nservices:\n  db: { kind: mongodb }\ndatamodels:\n  jobs: { indexes: [{ keys: { url: 1 } }] }\n  users: { database: auth, collection: people }\n' })
    const r = await pulpo(['config', '--json'], { cwd: dir })
    assert.equal(r.exitCode, 0, show(r))
    assert.deepEqual(json(r).datamodels, {
      jobs: { service: 'db', database: 'shop', collection: 'jobs', indexes: [{ keys: { url: 1 } }] },
      users: { service: 'db', database: 'auth', collection: 'people' },
    })
  })

  test('an interpreter outside the project is shown as given, not as a path climbing out of it', async () => {
    const dir = project({ 'pulpo.yaml': 'version: 1\nproject: py\nservices:\n  a: { command: "sleep 1" }\n' })
    const fromEnv = await pulpo(['config', '--json'], { cwd: dir, env: { PULPO_PYTHON: '/opt/py/bin/python3' } })
    assert.equal(fromEnv.exitCode, 0, show(fromEnv))
    assert.equal(json(fromEnv).python, '/opt/py/bin/python3')
    writeFileSync(join(dir, 'pulpo.yaml'), 'version: 1\nproject: py\npython: venv/bin/python\nservices:\n  a: { command: "sleep 1" }\n')
    const inside = await pulpo(['config', '--json'], { cwd: dir })
    assert.equal(json(inside).python, 'venv/bin/python')
  })

  test('a secret whose value reads like a JSON token (false, 3600) is masked in strings only: every --json stays JSON', async () => {
    const dir = project({
      'pulpo.yaml': `version: 1
project: tokens
services:
  api:
    command: run-api --ttl 3600
    env: { USE_TOKEN: "false", TOKEN_TTL: "3600" }
    stop: { timeout: 3600 }
`,
    })
    for (const args of [['config', '--json'], ['validate', '--json'], ['plan', '--json'], ['status', '--json'], ['down', '--json']]) {
      const r = await pulpo(args, { cwd: dir })
      assert.equal(r.exitCode, 0, `${args.join(' ')}: ${show(r)}`)
      assertNoStackTrace(r)
      const out = json(r)
      if (args[0] === 'config') {
        assert.deepEqual(out.services.api.env, { USE_TOKEN: '***', TOKEN_TTL: '***' })
        assert.equal(out.services.api.command, 'run-api --ttl ***')
        assert.equal(out.services.api.persist, false, 'a boolean is no string to mask')
      }
      if (args[0] === 'down') assert.equal(out.volumes, false)
    }
  })

  test('pulpo.yaml is found by walking up from a subdirectory', async () => {
    const dir = project({ 'pulpo.yaml': SECRETS, 'app/deep/er/.keep': '' })
    const cwd = join(dir, 'app', 'deep', 'er')
    const v = await pulpo(['validate', '--json'], { cwd, env: { X: 'x' } })
    assert.equal(v.exitCode, 0, show(v))
    assert.equal(json(v).valid, true)
    const c = await pulpo(['config', '--json'], { cwd, env: { X: 'x' } })
    assert.equal(c.exitCode, 0, show(c))
    assert.equal(json(c).project, 'sec')
    assert.deepEqual(Object.keys(json(c).services).sort(), ['api', 'worker'])
  })
})

describe('init', () => {
  test('refuses to overwrite pulpo.yaml without --force; --force overwrites', async () => {
    const original = 'version: 1\nproject: mine\nservices: {}\n'
    const dir = project({ 'pulpo.yaml': original })
    const r = await pulpo(['init'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /already exists/)
    assert.match(r.stderr, /--force/)
    assertNoStackTrace(r)
    assert.equal(readFileSync(join(dir, 'pulpo.yaml'), 'utf8'), original)
    const forced = await pulpo(['init', '--force'], { cwd: dir })
    assert.equal(forced.exitCode, 0, show(forced))
    assert.notEqual(readFileSync(join(dir, 'pulpo.yaml'), 'utf8'), original)
    const v = await pulpo(['validate'], { cwd: dir })
    assert.equal(v.exitCode, 0, show(v))
  })

  test('--project names the project; the starter validates in dev and prod', async () => {
    const dir = project({})
    const r = await pulpo(['init', '--project', 'shop'], { cwd: dir })
    assert.equal(r.exitCode, 0, show(r))
    for (const env of ['dev', 'prod']) {
      const c = await pulpo(['config', '--json', '--env', env], { cwd: dir })
      assert.equal(c.exitCode, 0, `${env}: ${show(c)}`)
      assert.equal(json(c).project, 'shop')
    }
  })
})
