/**
 * pulpo interrupted or killed mid-`up` in swarm mode, on the real cluster: the 3-tier stack (db
 * persisted ← migrate job ← api in 3 replicas ← worker), whose api turns healthy only a while
 * after it starts, so that `up` is caught waiting for its rollout. Ctrl-C (SIGINT to pulpo's
 * process group, as a terminal sends it), then SIGKILL of pulpo alone: the exit, the message, no
 * process of pulpo's left, the lock, `status` against the cluster, the data, the next `up`
 * converging without redeploying what was deployed, a second `up` changing nothing, and nothing
 * of the project left on any node after `down --volumes`.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { assertNoStackTrace, ensureBinary, removeDir, show } from '../cli/helpers.js'
import { assertNothingLeft, childRunning, killSurvivors, spawnPulpo, until, type Background } from '../docker/background.js'
import { dockerOn, pulpo, swarm, uniqueName, type Swarm } from './helpers.js'
import { getJson, leftovers, stackProject } from './stack.js'

const env = { API_TOKEN: 'tok-interrupt-5c1e' }
const SERVICES = ['api', 'db', 'migrate', 'worker']

interface Service {
  ID: string
  Version: { Index: number }
  Spec: { Name: string }
}

interface StatusRow {
  name: string
  actual: string
  replicas?: { running: number; desired: number }
}

describe('pulpo interrupted mid-up (swarm mode)', () => {
  let s: Swarm
  let name: string
  let dir: string
  const started: Background[] = []
  const run = (...args: string[]) => pulpo([...args, '-e', 'prod'], { cwd: dir, env })
  const up = () => {
    const bg = spawnPulpo(['up', '-e', 'prod'], { cwd: dir, env })
    started.push(bg)
    return bg
  }
  const lock = () => join(dir, '.pulpo', name, 'lock')
  /** The project's swarm services by pulpo service name. */
  const services = async (): Promise<Record<string, Service>> => {
    const ids = (await dockerOn(s.manager, 'service', 'ls', '--quiet', '--filter', `label=dev.pulpo.project=${name}`)).split('\n').filter(Boolean)
    const all: Service[] = ids.length ? JSON.parse(await dockerOn(s.manager, 'service', 'inspect', ...ids)) : []
    return Object.fromEntries(all.map((x) => [x.Spec.Name.slice(name.length + 1), x]))
  }
  const rows = async () => (await getJson(s, name, 'http://db:7000/')).rows as string[]

  before(async () => {
    await ensureBinary()
    s = swarm()
    name = uniqueName('interrupt')
    // The api turns healthy 15 s after each replica starts: up waits for it that long.
    dir = stackProject(s, name, { readyAfter: 15 })
    const built = await run('build', '--push')
    assert.equal(built.exitCode, 0, show(built))
  })
  after(async () => {
    for (const bg of started) {
      bg.kill('SIGKILL')
      killSurvivors(bg.pid, dir)
    }
    await run('down', '--volumes')
    // Swarm 20.10 leaves a completed job's exited container on its node (see leftovers()).
    for (const node of s.nodes) {
      const ids = (await dockerOn(node, 'ps', '-a', '-q', '--filter', `name=${name}_`).catch(() => '')).split('\n').filter(Boolean)
      if (ids.length) await dockerOn(node, 'rm', '-f', ...ids).catch(() => {})
    }
    const images = (await dockerOn(s.manager, 'image', 'ls', '--format', '{{.Repository}}:{{.Tag}}').catch(() => '')).split('\n').filter((i) => i.includes(`/${name}-`))
    if (images.length) await dockerOn(s.manager, 'image', 'rm', '-f', ...images).catch(() => {})
    removeDir(dir)
  })

  /** Starts up and catches it while the api's replicas roll out (the api deployed, not yet healthy). */
  async function upUntilApiRollsOut(): Promise<Background> {
    const bg = up()
    await until(async () => {
      assert.ok(bg.running(), `up ended before the api was deployed\n${bg.output()}`)
      return 'api' in (await services())
    }, 'the api is deployed', bg.output)
    return bg
  }

  /** `status` answers, and says which services the cluster has: all but the worker, not deployed after the interruption. */
  async function assertStatusTrue() {
    const r = await run('status', '--json')
    assert.equal(r.exitCode, 0, show(r))
    assertNoStackTrace(r)
    const byName = Object.fromEntries((JSON.parse(r.stdout) as { services: StatusRow[] }).services.map((x) => [x.name, x]))
    const deployed = await services()
    for (const n of SERVICES) assert.equal(byName[n].actual === 'absent', !(n in deployed), `${n}: status says ${byName[n].actual}, deployed: ${n in deployed}`)
    assert.ok(!('worker' in deployed), 'nothing is deployed after the interruption')
    assert.equal(byName.api.replicas?.desired, 3, JSON.stringify(byName.api))
    const text = await run('status')
    assert.equal(text.exitCode, 0, show(text))
  }

  /** The next up converges without redeploying what was deployed; a second one changes nothing. */
  async function assertConverges(data: string[]) {
    const deployed = await services()
    const r = await run('up')
    assert.equal(r.exitCode, 0, show(r))
    assertNoStackTrace(r)
    assert.match(r.stdout, new RegExp(`${name} is up \\(4 services, 1 changed\\)`), show(r))
    assert.ok(!existsSync(lock()), 'the lock is released')
    const now = await services()
    assert.deepEqual(Object.keys(now).sort(), SERVICES)
    for (const [n, x] of Object.entries(deployed)) assert.equal(now[n].Version.Index, x.Version.Index, `${n}, deployed before the interruption, was left as it was`)
    assert.deepEqual(await rows(), data, 'the data is kept')

    const again = await run('up')
    assert.equal(again.exitCode, 0, show(again))
    assert.match(again.stdout, new RegExp(`${name} is up to date \\(4 services running\\)`), show(again))
    const status = JSON.parse((await run('status', '--json')).stdout) as { services: StatusRow[] }
    assert.deepEqual(status.services.find((x) => x.name === 'api')?.replicas, { running: 3, desired: 3 })
  }

  it('Ctrl-C while up prepares the cluster (the secret, the data node, the network): exit 130 and the one line, nothing deployed after it', async () => {
    const bg = up()
    // Each is one short Docker CLI call (all of them made before anything is deployed): looked
    // for often, to be caught while one runs.
    await until(() => {
      assert.ok(bg.running(), `up ended before it prepared the cluster\n${bg.output()}`)
      return [['secret', 'ls'], ['secret', 'create'], ['node', 'update'], ['network', 'create']].some((words) => childRunning(bg.pid, ...words))
    }, 'up prepares the cluster', bg.output, undefined, 10)
    bg.interrupt('SIGINT')
    const r = await bg.exited
    assert.equal(r.exitCode, 130, show(r))
    assertNoStackTrace(r)
    assert.deepEqual(r.stderr.split('\n').filter((l) => /^interrupted\b/.test(l)), ['interrupted: services started so far keep running; `pulpo up` continues, `pulpo down` stops them'], show(r))
    assert.doesNotMatch(r.stderr, /failed on/, show(r))
    await assertNothingLeft(bg.pid, dir)
    assert.ok(!existsSync(lock()), 'the lock is released')
    assert.deepEqual(Object.keys(await services()).filter((n) => n !== 'db'), [], 'nothing but (at most) the db was deployed')
    const status = await run('status')
    assert.equal(status.exitCode, 0, show(status))
  })

  it('Ctrl-C while the api rolls out: exit 130 and one line, nothing of pulpo left, the rollout carries on, the next up converges', async () => {
    const bg = await upUntilApiRollsOut()
    bg.interrupt('SIGINT')
    const r = await bg.exited
    assert.equal(r.exitCode, 130, show(r))
    assertNoStackTrace(r)
    assert.deepEqual(r.stderr.split('\n').filter((l) => /^interrupted\b/.test(l)), ['interrupted: services started so far keep running; `pulpo up` continues, `pulpo down` stops them'], show(r))
    assert.match(r.stderr, /not started: worker \(api was interrupted\)/, show(r))
    await assertNothingLeft(bg.pid, dir)
    assert.ok(!existsSync(lock()), 'the lock is released')
    const data = await rows()
    assert.deepEqual(data, ['migrated'])
    await assertStatusTrue()
    await assertConverges(data)
  })

  it('SIGKILL of pulpo alone while the api rolls out: no child of it survives, the next up takes the lock over and converges; down leaves nothing', async () => {
    const down = await run('down')
    assert.equal(down.exitCode, 0, show(down))
    const bg = await upUntilApiRollsOut()
    bg.kill('SIGKILL')
    assert.equal((await bg.exited).exitCode, 137)
    await assertNothingLeft(bg.pid, dir)
    assert.ok(existsSync(lock()), 'a SIGKILLed pulpo leaves its lock, to be taken over')
    // The db's data survived down (the migration ran once more on this up).
    const data = await rows()
    assert.deepEqual(data, ['migrated', 'migrated'])
    await assertStatusTrue()
    await assertConverges(data)

    const gone = await run('down', '--volumes')
    assert.equal(gone.exitCode, 0, show(gone))
    assert.deepEqual(await leftovers(s, name), [])
  })
})
