/**
 * The spare supervisor (src/backends/local/spare.ts): a first `up` starts one as it begins, and it
 * becomes the project's supervisor; an `up` that needs none leaves none, whether it ends by itself
 * or is killed before it could say which project the spare is for.
 */
import { after, afterEach, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { alive, cleanupAll, ensureBinary, show, svc, TestProject, until } from './helpers.js'

before(ensureBinary)
afterEach(cleanupAll)
after(cleanupAll)

const FILE = (project: string) => `version: 1
project: ${project}
services:
  a:
    command: ${svc('a', '--ready-line', 'a ready')}
    ready: { log: a ready }
`

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)

/** Spare supervisors whose working directory is `dir`. */
function sparesIn(dir: string): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === dir && cmdline(Number(entry)).includes('--spare') && !/\) [ZX] /.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) out.push(Number(entry))
    } catch {}
  }
  return out
}

test("a first up's supervisor is the spare it started as it began; the next up starts none", async () => {
  const p = new TestProject(FILE('spare'))
  const r = await p.run(['up'])
  assert.equal(r.exitCode, 0, show(r))
  const supervisor = p.state()!.supervisor!.pid
  assert.deepEqual(cmdline(supervisor).slice(-2), ['supervise', '--spare'], 'the supervisor is the spare up started')
  assert.equal((await p.service('a')).health, 'healthy')
  const again = await p.run(['up'])
  assert.equal(again.exitCode, 0, show(again))
  assert.match(again.stdout, /up to date/)
  assert.deepEqual(sparesIn(p.dir), [supervisor], 'no other spare')
})

test('an up that needs no supervisor leaves no spare behind', async () => {
  const p = new TestProject(FILE('broken').replace('ready: { log: a ready }', 'ready: { log: a ready }\n    depends_on: [a]'))
  const r = await p.run(['up'])
  assert.equal(r.exitCode, 1, show(r))
  assert.match(r.stderr, /depends on itself/)
  // Not eventually: as the up exits.
  assert.deepEqual(sparesIn(p.dir), [])
  assert.deepEqual(p.leftovers(), [])
})

test('a spare whose up is killed before it names the project exits by itself', async () => {
  const p = new TestProject(FILE('killed'))
  // The project's lock held by this (live) process: up waits for it, its spare started.
  mkdirSync(p.path('.pulpo/killed'), { recursive: true })
  const lock = p.statePath('lock')
  writeFileSync(lock, JSON.stringify({ pid: process.pid, command: 'test', since: new Date().toISOString() }))
  const up = p.spawn(['up'])
  await until(() => up.output().includes('waiting for pulpo test'), 'up waits for the lock', up.output)
  const spares = sparesIn(p.dir)
  assert.equal(spares.length, 1, `one spare while up waits: ${spares}`)
  up.signal('SIGKILL')
  await up.exited
  await until(() => !alive(spares[0]), 'the spare exits once its up is gone')
  rmSync(lock)
  assert.deepEqual(p.leftovers(), [])
})
