/**
 * `pulpo compile` in docker mode, with the built binary: run_cache/docker-compose.yml is valid for
 * the Compose Specification schema and for both Compose implementations' own checks
 * (`docker-compose -f F config -q`, `docker compose -f F config -q`, which need no daemon), is
 * byte-identical when compiled again, `compile --check` exits 1 when it is stale, and no secret
 * value is written under run_cache/.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parse } from 'yaml'
import { removeDir } from '../cli/helpers.js'
import { composeProblems } from './compose-schema.js'
import { ensureBinary, filesUnder, HAS_V1, HAS_V2, pulpo, show, tempProject } from './helpers.js'

const run = promisify(execFile)
const SECRET = 'pa55-' + Math.random().toString(36).slice(2, 12)

const YAML = (greeting: string) => `version: 1
project: pt-compile
mode: docker
services:
  db:
    kind: mongodb
    port: 27017
    persist: true
  api:
    build: { context: app }
    command: serve --port \${services.api.port} --greeting "${greeting}"
    port: 8000
    env:
      DB_URL: mongodb://app:\${DB_PASSWORD}@db:27017
      API_TOKEN: \${API_TOKEN}
      PRICE: "$$5"
    depends_on: { db: healthy, jobs: completed }
    ready: { http: /health, interval: 500ms }
  jobs:
    image: example/jobs:1
    command: [run-once]
  logs:
    image: example/logs:1
    ready: { log: ready }
  web:
    image: example/web:1
    port: 3000
    depends_on: { api: healthy, logs: healthy }
    ready: { tcp: 3000 }
`

describe('pulpo compile (docker mode)', () => {
  let dir = ''
  const file = () => join(dir, 'run_cache', 'docker-compose.yml')
  before(async () => {
    await ensureBinary()
    dir = tempProject({ 'pulpo.yaml': YAML('hello'), 'app/Dockerfile': 'FROM scratch\n', '.env': `DB_PASSWORD=${SECRET}\nAPI_TOKEN=tok-${SECRET}\n` })
  })
  after(() => removeDir(dir))

  it('writes a compose file valid per the Compose Specification schema', async () => {
    const r = await pulpo(['compile'], { cwd: dir })
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stdout, /wrote\s+run_cache\/docker-compose\.yml/)
    const doc = parse(readFileSync(file(), 'utf8'))
    assert.deepEqual(composeProblems(doc), [])
    assert.deepEqual(Object.keys(doc.services), ['api', 'db', 'jobs', 'logs', 'web'])
  })

  for (const [name, cli, args, has] of [['docker-compose (v1)', 'docker-compose', [], HAS_V1], ['docker compose (v2)', 'docker', ['compose'], HAS_V2]] as const) {
    it(`${name} -f F config -q accepts it`, { skip: has ? false : `${name} is not installed` }, async () => {
      // Without the secrets' variables (as a user running the file by hand): blanks, still valid.
      const r = await run(cli, [...args, '-f', file(), 'config', '-q'], { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME } }).catch((e) => e)
      assert.equal(r.code ?? 0, 0, `${r.stdout}\n${r.stderr}`)
      // And as pulpo runs it: the resolved config carries the values, the file does not.
      const resolved = await run(cli, [...args, '-f', file(), 'config'], { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, PULPO_SECRET_API_API_TOKEN: `tok-${SECRET}`, PULPO_SECRET_API_DB_URL: 'mongodb://x' } })
      const api = (parse(resolved.stdout) as { services: Record<string, { environment: Record<string, string> }> }).services.api
      assert.equal(api.environment.API_TOKEN, `tok-${SECRET}`)
      // config prints a compose file again, so the literal $ comes back escaped as $$.
      assert.equal(api.environment.PRICE, '$$5')
    })
  }

  it('compiles byte-identical output again (the file is not even rewritten)', async () => {
    const before = readFileSync(file())
    const mtime = statSync(file()).mtimeMs
    const r = await pulpo(['compile', '--json'], { cwd: dir })
    assert.equal(r.exitCode, 0, show(r))
    const j = JSON.parse(r.stdout) as { written: string[]; removed: string[] }
    assert.deepEqual([j.written, j.removed], [[], []])
    assert.ok(readFileSync(file()).equals(before))
    assert.equal(statSync(file()).mtimeMs, mtime)
  })

  it('compile --check: 0 when up to date, 1 when pulpo.yaml changed or the file was edited, and writes nothing', async () => {
    const fresh = await pulpo(['compile', '--check'], { cwd: dir })
    assert.equal(fresh.exitCode, 0, show(fresh))
    assert.match(fresh.stdout, /up to date/)

    writeFileSync(join(dir, 'pulpo.yaml'), YAML('bonjour'))
    const before = readFileSync(file(), 'utf8')
    const stale = await pulpo(['compile', '--check'], { cwd: dir })
    assert.equal(stale.exitCode, 1, show(stale))
    assert.match(stale.stderr, /run_cache\/ is stale: run pulpo compile/)
    assert.match(stale.stderr, /~ run_cache\/docker-compose\.yml/)
    assert.equal(readFileSync(file(), 'utf8'), before, '--check changed nothing')

    assert.equal((await pulpo(['compile'], { cwd: dir })).exitCode, 0)
    assert.match(readFileSync(file(), 'utf8'), /--greeting \\"bonjour\\"|--greeting "bonjour"/)
    assert.equal((await pulpo(['compile', '--check'], { cwd: dir })).exitCode, 0)

    writeFileSync(file(), readFileSync(file(), 'utf8').replace('init: true', 'init: false'))
    const edited = await pulpo(['compile', '--check'], { cwd: dir })
    assert.equal(edited.exitCode, 1, show(edited))
    assert.equal((await pulpo(['compile'], { cwd: dir })).exitCode, 0)
  })

  it('writes no secret value under run_cache/, and prints none', async () => {
    const outputs = [await pulpo(['compile'], { cwd: dir }), await pulpo(['config'], { cwd: dir }), await pulpo(['config', '--json'], { cwd: dir })]
    for (const r of outputs) {
      assert.equal(r.exitCode, 0, show(r))
      assert.ok(!(r.stdout + r.stderr).includes(SECRET), show(r))
    }
    const files = filesUnder(join(dir, 'run_cache'))
    assert.ok(files.length > 0)
    for (const f of files) assert.ok(!f.text.includes(SECRET), `${f.path} holds a secret`)
    const text = readFileSync(file(), 'utf8')
    assert.match(text, /API_TOKEN: \$\{PULPO_SECRET_API_API_TOKEN\}/)
    assert.match(text, /DB_URL: \$\{PULPO_SECRET_API_DB_URL\}/)
  })
})
