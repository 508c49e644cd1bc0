/**
 * A secrets sweep in local mode, as a user meets pulpo: one project declares secrets every way the
 * reference allows (a variable from the shell, one from an env_file, a project-wide env, a
 * password in a URL, a secret in a command's and in an exec probe's arguments) and runs every
 * command a user runs, failures included (a probe that never passes, a crash loop). No output of
 * pulpo and no file it writes (state, record, supervisor log, run_cache/) holds a secret, plain or
 * base64; only the services' own logs do, where the programs print them.
 */
import { after, afterEach, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { cleanupAll, ensureBinary, show, TestProject } from './helpers.js'

before(ensureBinary)
afterEach(cleanupAll)
after(cleanupAll)

const SHELL_KEY = 'key-Sw33p-from-the-shell'
const FILE_PASSWORD = 'pw-Sw33p-from-an-env-file'
const SHARED_TOKEN = 'tok-Sw33p-project-wide'
const URL_PASSWORD = 'urlpw-Sw33p-literal'
const SECRETS = [SHELL_KEY, FILE_PASSWORD, SHARED_TOKEN, URL_PASSWORD]
const FORMS = SECRETS.flatMap((s) => [s, Buffer.from(s).toString('base64')])

/** The files under `dir`, as paths relative to it. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    return e.isDirectory() ? files(p).map((f) => join(e.name, f)) : e.isFile() ? [e.name] : []
  })
}

test('no output and no file of pulpo holds a secret, whatever the command, failures included', async () => {
  const p = new TestProject(`version: 1
project: sweep
env_file: [secrets.env]
env:
  SHARED_TOKEN: "\${SHARED_TOKEN}"
services:
  web:
    command: [sh, -c, 'echo "web has $$API_KEY $$0"; exec sleep 1000', "\${API_KEY}"]
    env:
      API_KEY: "\${API_KEY}"
      DATABASE_URL: "postgresql://app:\${DB_PASSWORD}@127.0.0.1:5432/app"
      MONGO_URL: mongodb://u:${URL_PASSWORD}@127.0.0.1:27017/x
  probed:
    command: [sh, -c, 'exec sleep 1000']
    ready: { exec: [sh, -c, 'test "$$0" = never', "\${API_KEY}"], timeout: 1s }
  looping:
    command: [sh, -c, 'echo "looping with $$DB_PASSWORD $$SHARED_TOKEN"; exit 2']
    env: { DB_PASSWORD: "\${DB_PASSWORD}" }
    restart: always
    backoff: 100ms
`, { 'secrets.env': `DB_PASSWORD=${FILE_PASSWORD}\nSHARED_TOKEN=${SHARED_TOKEN}\n` })
  const env = { API_KEY: SHELL_KEY }
  const commands: [string[], number][] = [
    [['validate'], 0],
    [['validate', '--json'], 0],
    [['config'], 0],
    [['config', '--json'], 0],
    [['compile'], 0],
    [['plan'], 0],
    [['plan', '--json'], 0],
    [['up'], 1],
    [['up', '--json'], 1],
    [['status'], 0],
    [['status', '--json'], 0],
    [['logs'], 0],
    [['logs', 'looping', '--tail', '2'], 0],
    [['restart', 'probed'], 1],
    [['restart', 'web', '--json'], 0],
  ]
  const sweep = (what: string, text: string) => {
    for (const s of FORMS) assert.ok(!text.includes(s), `${what} holds a secret (${s}):\n${text}`)
  }
  const atRest = () => {
    for (const f of files(p.dir)) {
      // The user's own files, and what the services printed (their own output, not pulpo's).
      if (f === 'pulpo.yaml' || f === 'secrets.env' || /^\.pulpo\/sweep\/logs\/[a-z]+\.log$/.test(f)) continue
      if (statSync(join(p.dir, f)).size > 10_000_000) continue
      sweep(relative(p.dir, join(p.dir, f)), readFileSync(join(p.dir, f), 'utf8'))
    }
  }
  for (const [args, code] of commands) {
    const r = await p.run(args, env)
    assert.equal(r.exitCode, code, `pulpo ${args.join(' ')}: ${show(r)}`)
    sweep(`pulpo ${args.join(' ')}`, r.stdout + r.stderr)
  }
  // What runs, what failed: as kept while the services run.
  atRest()
  // The sweep sees them where they belong: the programs got them and printed them.
  const log = (name: string) => readFileSync(p.statePath(`logs/${name}.log`), 'utf8')
  assert.ok(log('web').includes(`web has ${SHELL_KEY} ${SHELL_KEY}`) && log('looping').includes(`looping with ${FILE_PASSWORD} ${SHARED_TOKEN}`))
  for (const [args, code] of [[['down', 'probed', '--json'], 0], [['down'], 0]] as [string[], number][]) {
    const r = await p.run(args, env)
    assert.equal(r.exitCode, code, `pulpo ${args.join(' ')}: ${show(r)}`)
    sweep(`pulpo ${args.join(' ')}`, r.stdout + r.stderr)
  }
  atRest()
})
