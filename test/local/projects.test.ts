/**
 * Which project, which environment, and what pulpo keeps at rest (issue 10), with real processes:
 * .pulpo/ holds no secret and no inherited environment and is private (0700/0600, the socket too);
 * two pulpo files in one directory are two projects; the environment `up` applied is the one
 * status/logs/restart/down act on, and `up` does not switch it silently; a broken or missing file
 * still reaches what runs (status, down, -p NAME).
 */
import { after, afterEach, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { alive, assertNoStackTrace, cleanupAll, ensureBinary, show, svc, TestProject, until, type StatusJson } from './helpers.js'

before(ensureBinary)
afterEach(cleanupAll)
after(cleanupAll)

/** Every file and directory under `dir`, with its mode. */
function tree(dir: string): { path: string; mode: number; dir: boolean }[] {
  const out: { path: string; mode: number; dir: boolean }[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    const mode = statSync(p).mode & 0o777
    out.push({ path: p, mode, dir: e.isDirectory() })
    if (e.isDirectory()) out.push(...tree(p))
  }
  return out
}

describe('secrets and files at rest', () => {
  test('state, logs index, lock and socket hold no secret and no inherited environment; .pulpo/ is 0700, its files 0600', async () => {
    const password = `pw-${Math.random().toString(36).slice(2, 10)}`
    const urlPassword = `urlpw-${Math.random().toString(36).slice(2, 10)}`
    const token = `tok-${Math.random().toString(36).slice(2, 10)}`
    const p = new TestProject(`version: 1
project: atrest
services:
  web:
    command: ${svc('web', '--print-env', 'MY_TOKEN')}
    restart: always
    env:
      DB_PASSWORD: "\${DB_PASSWORD}"
      MONGO_URL: mongodb://u:${urlPassword}@db:27017/x
`)
    const env = { DB_PASSWORD: password, MY_TOKEN: token }
    assert.equal((await p.run(['up'], env)).exitCode, 0)
    await p.when('web', 'ready')
    // A state directory written by an older pulpo, readable by all: the next up closes it.
    chmodSync(p.statePath('state.json'), 0o644)
    chmodSync(p.path('.pulpo'), 0o755)
    const again = await p.run(['up'], env)
    assert.equal(again.exitCode, 0, show(again))
    const files = tree(p.path('.pulpo')).filter((f) => !f.path.includes('/data/web/'))
    assert.ok(files.some((f) => f.path.endsWith('state.json')) && files.some((f) => f.path.endsWith('web.log')) && files.some((f) => f.path.endsWith('supervisor.sock')), files.map((f) => f.path).join('\n'))
    assert.equal(statSync(p.path('.pulpo')).mode & 0o777, 0o700, '.pulpo/ is 0700')
    for (const f of files) assert.equal(f.mode, f.dir ? 0o700 : 0o600, `${f.path} is ${f.mode.toString(8)}`)
    for (const f of files.filter((x) => !x.dir && !x.path.endsWith('.sock') && !x.path.endsWith('web.log'))) {
      const text = readFileSync(f.path, 'utf8')
      for (const s of [password, urlPassword, token]) assert.ok(!text.includes(s), `${f.path} holds a secret`)
    }
    // The service itself got them all.
    assert.match(readFileSync(p.statePath('logs/web.log'), 'utf8'), new RegExp(`MY_TOKEN=${token}`))
  })

  test('.pulpo/ is never committed: git does not see it, without a .gitignore of the user\'s', async () => {
    const p = new TestProject(`version: 1
project: nocommit
services:
  web:
    command: ${svc('web')}
`)
    execFileSync('git', ['init', '-q', p.dir])
    assert.equal((await p.run(['up'])).exitCode, 0)
    await p.when('web', 'ready')
    const seen = execFileSync('git', ['-C', p.dir, 'status', '--porcelain', '--untracked-files=all'], { encoding: 'utf8' })
    assert.doesNotMatch(seen, /\.pulpo/, seen)
    assert.match(seen, /pulpo\.yaml/, 'git sees the project itself')
  })

  test('a secret in a command or probe argument is *** in the state file; a supervisor that takes over probes with the real one', async () => {
    const token = `tok-${Math.random().toString(36).slice(2, 10)}`
    const p = new TestProject(`version: 1
project: argsecret
services:
  web:
    command: [sh, -c, 'exec sleep 1000', "\${MY_TOKEN}"]
    ready: { exec: [sh, -c, 'test "$$0" = "$$MY_TOKEN"', "\${MY_TOKEN}"], interval: 100ms, timeout: 10s }
`)
    const env = { MY_TOKEN: token }
    const up = await p.run(['up'], env)
    assert.equal(up.exitCode, 0, show(up))
    const text = readFileSync(p.statePath('state.json'), 'utf8')
    assert.ok(!text.includes(token), `the state file holds the secret:\n${text}`)
    const spec = (JSON.parse(text) as { services: Record<string, { spec: { command: string[]; probe: { command: string[] } } }> }).services.web.spec
    assert.deepEqual(spec.command, ['sh', '-c', 'exec sleep 1000', '***'])
    assert.deepEqual(spec.probe.command, ['sh', '-c', 'test "$0" = "$MY_TOKEN"', '***'])
    const supervisor = p.state()!.supervisor!.pid
    process.kill(supervisor, 'SIGKILL')
    await until(() => !alive(supervisor), 'the supervisor is gone')
    // Taken over from the state file, then handed its full spec by up: probed with the real argument.
    const again = await p.run(['up'], env)
    assert.equal(again.exitCode, 0, show(again))
    assert.match(again.stdout, /up to date/, 'web was adopted, not restarted')
    assert.equal((await p.service('web')).health, 'healthy')
  })

  test("a supervisor socket in the temp directory is in a directory of the user's own: one others may write to is refused, and nothing is sent there", async () => {
    const token = `tok-${Math.random().toString(36).slice(2, 10)}`
    const tmp = mkdtempSync(join(tmpdir(), 'pulpo-test-tmpdir-'))
    // A project deep enough that its socket does not fit in .pulpo/ (a Unix socket's path is short).
    const p = new TestProject(`version: 1
project: deep
services:
  web:
    command: ${svc('web')}
    env: { API_TOKEN: "\${MY_TOKEN}" }
`, {}, { subdir: 'a-directory-whose-name-is-long-enough/to-push-the-supervisor-socket-out-of-it' })
    const env = { TMPDIR: tmp, MY_TOKEN: token }
    const hash = createHash('sha256').update(p.path('.pulpo/deep')).digest('hex').slice(0, 16)
    const own = join(tmp, `pulpo-${process.getuid!()}`)
    // Another user got there first: a directory anyone may write to, listened on where pulpo would.
    mkdirSync(own)
    chmodSync(own, 0o777)
    const heard: string[] = []
    const planted = await Promise.all([join(own, `${hash}.sock`), join(tmp, `pulpo-${hash}.sock`)].map(async (path) => {
      const server = net.createServer((c) => c.on('data', (d) => (heard.push(String(d)), c.end('{"ok":true,"services":[]}\n'))))
      await new Promise<void>((resolve) => server.listen(path, resolve))
      return server
    }))
    try {
      const r = await p.run(['up'], env)
      assert.equal(r.exitCode, 1, show(r))
      assertNoStackTrace(r)
      assert.match(r.stderr, new RegExp(`${own} is not private to you \\(mode 0777\\)`), show(r))
      assert.deepEqual(heard, [], 'nothing was sent to the planted socket')
    } finally {
      await Promise.all(planted.map((server) => new Promise((resolve) => server.close(resolve))))
    }
    // Private again (as pulpo makes it when it is missing): up runs, with its socket there.
    rmSync(own, { recursive: true })
    const up = await p.run(['up'], env)
    assert.equal(up.exitCode, 0, show(up))
    assert.equal(statSync(own).mode & 0o777, 0o700)
    assert.ok(statSync(join(own, `${hash}.sock`)).isSocket())
    assert.equal((await p.run(['down'], env)).exitCode, 0)
    rmSync(tmp, { recursive: true, force: true })
  })

  test('a supervisor that takes over from the state file gets the environment back from the next up', async () => {
    const token = `tok-${Math.random().toString(36).slice(2, 10)}`
    const p = new TestProject(`version: 1
project: adopt
services:
  web:
    command: ${svc('web', '--print-env', 'MY_TOKEN')}
    restart: always
`)
    assert.equal((await p.run(['up'], { MY_TOKEN: token })).exitCode, 0)
    const first = await p.when('web', 'ready')
    const supervisor = p.state()!.supervisor!.pid
    process.kill(supervisor, 'SIGKILL')
    await until(() => !alive(supervisor), 'the supervisor is gone')
    const up = await p.run(['up'], { MY_TOKEN: token })
    assert.equal(up.exitCode, 0, show(up))
    assert.match(up.stdout, /up to date/, 'web was adopted, not restarted')
    // A crash now restarts it with its own environment, not the supervisor's.
    process.kill(first.pid, 'SIGKILL')
    await until(() => p.eventsOf('web', 'ready').length >= 2, 'web restarted')
    const lines = readFileSync(p.statePath('logs/web.log'), 'utf8').split('\n').filter((l) => l.startsWith('MY_TOKEN='))
    assert.deepEqual(lines, [`MY_TOKEN=${token}`, `MY_TOKEN=${token}`])
  })
})

describe('two pulpo files in one directory', () => {
  const two = (name: string) => `version: 1
project: ${name}
services:
  web:
    command: ${svc(`${name}-web`)}
`
  test('are two projects: neither plans to remove, nor stops, the other one\'s services', async () => {
    const p = new TestProject(two('one'), { 'two.yaml': two('two') })
    await p.up()
    const plan = await p.json<{ changes: { service: string; action: string }[] }>(['plan', '-c', 'two.yaml'])
    assert.deepEqual(plan.changes.map((c) => `${c.service}: ${c.action}`), ['web: create'])
    assert.equal((await p.run(['up', '-c', 'two.yaml'])).exitCode, 0)
    const oneWeb = (await p.service('web')).pid
    const twoWeb = (await p.json<StatusJson>(['status', '-c', 'two.yaml'])).services[0].pid
    assert.ok(oneWeb && twoWeb && oneWeb !== twoWeb)
    const down = await p.run(['down', '-c', 'two.yaml'])
    assert.equal(down.exitCode, 0, show(down))
    assert.ok(!alive(twoWeb), 'two\'s web stopped')
    assert.ok(alive(oneWeb), 'one\'s web still runs')
    assert.equal((await p.service('web')).actual, 'running')
  })

  test('a second file claiming a project name in use is refused, and the first project is untouched', async () => {
    const p = new TestProject(two('same'), { 'other.yaml': two('same') })
    await p.up()
    const pid = (await p.service('web')).pid
    for (const cmd of [['up'], ['down'], ['status']]) {
      const r = await p.run([...cmd, '-c', 'other.yaml'])
      assert.equal(r.exitCode, 1, show(r))
      assertNoStackTrace(r)
      assert.match(r.stderr, /project 'same' is run from pulpo\.yaml in this directory, not from other\.yaml/)
      assert.match(r.stderr, /project name of its own/)
    }
    assert.ok(alive(pid))
  })
})

describe('the applied environment', () => {
  test('status, logs, restart and down act on what up -e applied; a plain up refuses to switch, -e switches', async () => {
    const p = new TestProject(`version: 1
project: envs
environment: dev
environments:
  dev: {}
  prod: { services: { web: { env: { STAGE: production } } } }
services:
  web:
    command: ${svc('web', '--print-env', 'STAGE')}
    env: { STAGE: development }
`)
    const up = await p.run(['up', '-e', 'prod'])
    assert.equal(up.exitCode, 0, show(up))
    const status = await p.status()
    assert.equal(status.environment, 'prod')
    assert.equal(status.services[0].action, 'noop', 'in sync: the prod plan is compared')
    assert.match((await p.run(['status'])).stdout, /envs \(prod, local\) {2}in sync/)
    const plain = await p.run(['up'])
    assert.equal(plain.exitCode, 2, show(plain))
    assertNoStackTrace(plain)
    assert.match(plain.stderr, /envs runs environment 'prod'; this up would switch it to 'dev'/)
    assert.match(plain.stderr, /pulpo up -e prod/)
    const restart = await p.json<{ environment: string }>(['restart'])
    assert.equal(restart.environment, 'prod')
    await until(() => p.eventsOf('web', 'start').length >= 2, 'web restarted')
    assert.match((await p.run(['logs'])).stdout, /STAGE=production/)
    assert.doesNotMatch((await p.run(['logs'])).stdout, /STAGE=development/)
    const sw = await p.run(['up', '-e', 'dev'])
    assert.equal(sw.exitCode, 0, show(sw))
    assert.match(sw.stderr, /switching envs from environment 'prod' to 'dev'/)
    assert.equal((await p.status()).environment, 'dev')
    const down = await p.json<{ environment: string }>(['down'])
    assert.equal(down.environment, 'dev')
  })
})

describe('a broken or missing file', () => {
  const yaml = `version: 1
project: broken
services:
  db:
    command: ${svc('db')}
  api:
    command: ${svc('api')}
    depends_on: { db: started }
`
  test('status and down work from the recorded state, saying so; up does not', async () => {
    const p = new TestProject(yaml)
    await p.up()
    const api = (await p.service('api')).pid
    const db = (await p.service('db')).pid
    p.write(yaml.replace('command:', 'comand:'))
    const status = await p.run(['status'])
    assert.equal(status.exitCode, 0, show(status))
    assert.match(status.stderr, /pulpo\.yaml has 1 problem \(pulpo\.yaml:5:5: unknown key 'comand'/)
    assert.match(status.stderr, /acting on what `pulpo up` recorded for broken/)
    assert.match(status.stdout, /api +running +running/)
    const j = await p.json<StatusJson & { recorded: boolean }>(['status'])
    assert.equal(j.recorded, true)
    const up = await p.run(['up'])
    assert.equal(up.exitCode, 1)
    assert.match(up.stderr, /unknown key 'comand'/)
    assert.ok(alive(api) && alive(db))
    const down = await p.run(['down'])
    assert.equal(down.exitCode, 0, show(down))
    assert.ok(!alive(api) && !alive(db), 'both stopped')
    assert.ok(p.last('api', 'term').t < p.last('db', 'term').t, 'the dependent first')
    p.write(yaml)
  })

  test('-p NAME reaches a project whose file is gone: status -p and down -p', async () => {
    const p = new TestProject(yaml)
    await p.up()
    const api = (await p.service('api')).pid
    renameSync(p.path('pulpo.yaml'), p.path('elsewhere.yaml'))
    const status = await p.run(['status', '-p', 'broken', '--json'])
    assert.equal(status.exitCode, 0, show(status))
    const j = JSON.parse(status.stdout) as StatusJson & { notes: string[] }
    assert.deepEqual(j.services.map((s) => `${s.name} ${s.actual}`), ['api running', 'db running'])
    assert.match(j.notes[0], /pulpo\.yaml is gone/)
    const unknown = await p.run(['status', '-p', 'nope'])
    assert.equal(unknown.exitCode, 2)
    assert.match(unknown.stderr, /no project 'nope' recorded/)
    assert.match(unknown.stderr, /projects here: broken/)
    const down = await p.run(['down', '-p', 'broken'])
    assert.equal(down.exitCode, 0, show(down))
    assert.ok(!alive(api))
    assert.ok(!existsSync(p.statePath('project.json')), 'the record is gone with the project')
    renameSync(p.path('elsewhere.yaml'), p.path('pulpo.yaml'))
    writeFileSync(p.path('pulpo.yaml'), yaml)
  })
})
