/**
 * Issue 10 in docker mode, against a real engine: no secret value in any file pulpo writes (a
 * password inside a URL, in env or in a command, included); two pulpo files in one directory are
 * two Compose projects that never touch each other; a broken file or `-p NAME` still reaches the
 * containers through the record and Compose's project label.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { assertNoStackTrace, BASE_IMAGE, byService, cleanup, docker, ensureBinary, filesUnder, leftovers, NO_ENGINE, projectName, pulpo, show, tempProject } from './helpers.js'

const SLEEP = '["python3", "-c", "import signal, time; signal.signal(signal.SIGTERM, lambda *a: exit(0)); time.sleep(100000)"'

describe('docker: secrets at rest, projects side by side, a broken file', { skip: NO_ENGINE || false }, () => {
  const one = projectName('one')
  const two = projectName('two')
  const password = `pw-${Math.random().toString(36).slice(2, 10)}`
  const urlPassword = `urlpw-${Math.random().toString(36).slice(2, 10)}`
  const cmdPassword = `cmdpw-${Math.random().toString(36).slice(2, 10)}`
  const yaml = (name: string, extra = '') => `version: 1
project: ${name}
mode: docker
services:
  web:
    image: ${BASE_IMAGE}
    command: ${SLEEP}, "postgres://u:${cmdPassword}@h/db"]
    env:
      DB_PASSWORD: "\${DB_PASSWORD}"
      MONGO_URL: mongodb://u:${urlPassword}@db:27017/x
${extra}`
  let dir = ''
  const env = { DB_PASSWORD: password }
  const p = (...args: string[]) => pulpo(args, { cwd: dir, env })

  before(async () => {
    if (NO_ENGINE) return
    await ensureBinary()
    dir = tempProject({ 'pulpo.yaml': yaml(one), 'two.yaml': yaml(two) })
  })
  after(async () => {
    if (NO_ENGINE) return
    writeFileSync(join(dir, 'pulpo.yaml'), yaml(one))
    writeFileSync(join(dir, 'two.yaml'), yaml(two))
    await cleanup(dir, one, env)
    await pulpo(['down', '-c', 'two.yaml'], { cwd: dir, env }).catch(() => {})
    await cleanup(dir, two, env)
  })

  it('no secret value in run_cache/ or .pulpo/ after up, whatever its shape; the container gets them all', async () => {
    const up = await p('up')
    assert.equal(up.exitCode, 0, show(up))
    const written = [...filesUnder(join(dir, 'run_cache')), ...filesUnder(join(dir, '.pulpo'))]
    assert.ok(written.some((f) => f.path.endsWith('docker-compose.yml')) && written.some((f) => f.path.endsWith('project.json')), written.map((f) => f.path).join('\n'))
    for (const f of written) for (const s of [password, urlPassword, cmdPassword]) assert.ok(!f.text.includes(s), `${f.path} holds a secret`)
    const web = (await byService(one)).web
    assert.equal((await docker('exec', web.Id, 'printenv', 'MONGO_URL')).trim(), `mongodb://u:${urlPassword}@db:27017/x`)
    assert.ok((await docker('inspect', '--format', '{{json .Args}}', web.Id)).includes(cmdPassword), 'the command reaches the container whole')
  })

  it('a second file with its own project name is a project of its own: down of one leaves the other running', async () => {
    const plan = await p('plan', '-c', 'two.yaml', '--json')
    assert.equal(plan.exitCode, 0, show(plan))
    assert.deepEqual((JSON.parse(plan.stdout) as { changes: { service: string; action: string }[] }).changes.map((c) => `${c.service}: ${c.action}`), ['web: create'])
    const up = await p('up', '-c', 'two.yaml')
    assert.equal(up.exitCode, 0, show(up))
    const down = await p('down', '-c', 'two.yaml')
    assert.equal(down.exitCode, 0, show(down))
    assert.deepEqual(await leftovers(two), [])
    assert.equal((await byService(one)).web.State.Status, 'running', 'one still runs')
  })

  it('a broken pulpo.yaml: status and down act on the record; -p NAME without the file', async () => {
    writeFileSync(join(dir, 'pulpo.yaml'), yaml(one).replace('image:', 'imgae:'))
    const status = await p('status', '--json')
    assert.equal(status.exitCode, 0, show(status))
    const j = JSON.parse(status.stdout) as { recorded: boolean; services: { name: string; actual: string }[]; notes: string[] }
    assert.equal(j.recorded, true)
    assert.deepEqual(j.services.map((s) => `${s.name} ${s.actual}`), ['web running'])
    assert.match(j.notes.join('\n'), /pulpo\.yaml has 1 problem/)
    renameSync(join(dir, 'pulpo.yaml'), join(dir, 'gone.yaml'))
    const byName = await p('status', '-p', one)
    assert.equal(byName.exitCode, 0, show(byName))
    assert.match(byName.stdout, /web +running +running/)
    const down = await p('down', '-p', one)
    assert.equal(down.exitCode, 0, show(down))
    assertNoStackTrace(down)
    assert.deepEqual(await leftovers(one), [])
    renameSync(join(dir, 'gone.yaml'), join(dir, 'pulpo.yaml'))
  })
})
