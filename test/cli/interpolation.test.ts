/**
 * Compose's interpolation and env-file rules as a user meets them through the built binary:
 * `$NAME` everywhere, `$$`, typed fields, env-file errors located, secrets never quoted.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { assertNoStackTrace, ensureBinary, stdoutJson as json, pulpo, removeDir, show, tempDir } from './helpers.js'

const temps: string[] = []
/** A temporary project, removed after the tests. */
const project = (files: Record<string, string>) => temps[temps.push(tempDir(files)) - 1]

before(ensureBinary)
after(() => temps.forEach(removeDir))

describe('interpolation, as in Compose', () => {
  test('a bare $NAME interpolates in every value; $$ is a literal $', async () => {
    const dir = project({
      'pulpo.yaml': `version: 1
services:
  api:
    command: ["run", "$WHERE/x"]
    env:
      DIR: $WHERE/data
      LITERAL: $$WHERE
`,
    })
    const r = await pulpo(['config', '--json'], { cwd: dir, env: { WHERE: '/srv' } })
    assert.equal(r.exitCode, 0, show(r))
    const api = json(r).services.api
    assert.deepEqual(api.command, ['run', '/srv/x'])
    assert.equal(api.env.DIR, '/srv/data')
    assert.equal(api.env.LITERAL, '$WHERE')
  })

  test('validate notes a $NAME in a string command, meant for its shell, and suggests $$NAME', async () => {
    const dir = project({
      'pulpo.yaml': `version: 1
services:
  api:
    command: echo $HOME && run-api
  ok:
    command: echo $$HOME
`,
    })
    const r = await pulpo(['validate'], { cwd: dir })
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stderr, /pulpo\.yaml:4:19: note: \$HOME is replaced by pulpo/, show(r))
    assert.match(r.stderr, /write \$\$HOME/)
    assert.doesNotMatch(r.stderr, /:6:\d+: note/)
    const j = await pulpo(['validate', '--json'], { cwd: dir })
    assert.equal(json(j).valid, true)
    assert.deepEqual(json(j).warnings.map((w: { path: string; line: number }) => [w.path, w.line]), [['/services/api/command', 4]])
  })

  test('a typed field can be interpolated; a bad value is located at the value', async () => {
    const yaml = `version: 1
services:
  web:
    command: run-web
    port: \${WEB_PORT:-31080}
`
    const dir = project({ 'pulpo.yaml': yaml })
    const d = await pulpo(['config', '--json'], { cwd: dir })
    assert.equal(d.exitCode, 0, show(d))
    assert.equal(json(d).services.web.port, 31080)
    const set = await pulpo(['config', '--json'], { cwd: dir, env: { WEB_PORT: '8081' } })
    assert.equal(json(set).services.web.port, 8081)
    const bad = await pulpo(['validate'], { cwd: dir, env: { WEB_PORT: 'eighty' } })
    assert.equal(bad.exitCode, 1, show(bad))
    assert.match(bad.stderr, /pulpo\.yaml:5:11: .*integer/, show(bad))
    assertNoStackTrace(bad)
  })

  test('an interpolation error never quotes a password, in a URL or in a secret-looking key', async () => {
    const dir = project({
      'pulpo.yaml': `version: 1
services:
  api:
    command: run-api
    env:
      DB_URL: postgres://u:inlinepw@h/db \${UNCLOSED
      DB_PASSWORD: "hunter2 \${ALSO"
      NOTE: \${X:?the password is \${DB_SECRET}}
`,
    })
    for (const args of [['validate'], ['validate', '--json'], ['config']]) {
      const r = await pulpo(args, { cwd: dir, env: { DB_SECRET: 's3cr3tval' } })
      assert.equal(r.exitCode, 1, show(r))
      const out = r.stdout + r.stderr
      assert.match(out, /unterminated/, show(r))
      assert.match(out, /X is not set/, show(r))
      for (const secret of ['inlinepw', 'hunter2', 's3cr3tval']) assert.ok(!out.includes(secret), `${args.join(' ')} shows ${secret}:\n${out}`)
    }
  })
})

describe('typed fields, secrets never quoted', () => {
  test('a field that is not text, given a secret by mistake: the type error names the field, not the value', async () => {
    const dir = project({
      'pulpo.yaml': `version: 1
services:
  api:
    command: run-api
    port: \${DB_PASSWORD}
    restart: "\${API_TOKEN}-x"
    env: { DB_PASSWORD: "\${DB_PASSWORD}" }
`,
      '.env': 'DB_PASSWORD=pw-in-dotenv-77\n',
    })
    for (const args of [['validate'], ['validate', '--json'], ['config'], ['config', '--json'], ['up'], ['plan', '--json']]) {
      const r = await pulpo(args, { cwd: dir, env: { API_TOKEN: 'tok-from-shell-88' } })
      assert.equal(r.exitCode, 1, show(r))
      assertNoStackTrace(r)
      const out = r.stdout + r.stderr
      // Said where, with *** for what the field was given.
      if (args.includes('--json')) assert.match(out, /"line": 5,\s+"column": 11,[^}]*"must be an integer, got \\"\*\*\*\\""/, show(r))
      else assert.match(out, /pulpo\.yaml:5:11: must be an integer, got "\*\*\*"/, show(r))
      for (const secret of ['pw-in-dotenv-77', 'tok-from-shell-88']) assert.ok(!out.includes(secret), `${args.join(' ')} shows ${secret}:\n${out}`)
    }
  })
})

describe('env files, as in Compose', () => {
  test('a # inside a value is kept, ${...} expands, a bare NAME comes from the environment', async () => {
    const dir = project({
      'pulpo.yaml': `version: 1
services:
  api:
    command: run-api
    env_file: api.env
    env:
      FROM_DOTENV: \${HOST_URL}
`,
      '.env': 'HOST=db.local\nHOST_URL="http://${HOST}:${PORT:-80}"\n',
      'api.env': 'PASS=abc#123 # a comment\nTAB="a\\tb"\nINHERITED\nexport LIT=\'$HOST\'\n',
    })
    const r = await pulpo(['config', '--json'], { cwd: dir, env: { INHERITED: 'yes' } })
    assert.equal(r.exitCode, 0, show(r))
    const env = json(r).services.api.env
    assert.equal(env.FROM_DOTENV, 'http://db.local:80')
    assert.equal(env.PASS, 'abc#123')
    assert.equal(env.TAB, 'a\tb')
    assert.equal(env.INHERITED, 'yes')
    assert.equal(env.LIT, '$HOST')
  })

  test('a malformed line is a located problem: FILE:LINE, exit 1, no stack trace', async () => {
    const dir = project({
      'pulpo.yaml': 'version: 1\nenv_file: [.env]\nservices:\n  api:\n    command: run-api\n    env_file: api.env\n',
      '.env': '# settings\nA=1\nB="never closed\n',
      'api.env': 'OK=1\nINVALID LINE\n',
    })
    const r = await pulpo(['validate'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /^\s*\.env:3:\d+: .*unterminated quoted value/m, show(r))
    assert.match(r.stderr, /^\s*api\.env:2:\d+: .*contains a space/m, show(r))
    assertNoStackTrace(r)
    const j = await pulpo(['validate', '--json'], { cwd: dir })
    assert.deepEqual(json(j).errors.map((e: { file: string; line: number }) => `${e.file}:${e.line}`).sort(), ['.env:3', 'api.env:2'])
  })
})
