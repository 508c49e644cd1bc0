/**
 * `mode: swarm` on the real three-node cluster: the 3-tier stack deployed in dependency order
 * (the job completes before the api is created), replicas spread over nodes, the secret token
 * reaching the api's process but never `docker service inspect` nor any file under the project,
 * an unchanged `up` that changes nothing, data of the persisted db surviving down/up, and a
 * `down` that leaves nothing of the project on any node.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { assertNoStackTrace, ensureBinary, removeDir, show } from '../cli/helpers.js'
import { dockerOn, eventually, jsonLines, pulpo, swarm, uniqueName, type Swarm } from './helpers.js'
import { getJson, inNetwork, leftovers, stackProject } from './stack.js'

const TOKEN = 'tok-7f3a9c2e51d84b6a'

/** Every file under a directory (the project's own files, .pulpo/ and run_cache/ included). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e)
    return statSync(p).isDirectory() ? filesUnder(p) : [p]
  })
}

interface Inspected {
  ID: string
  CreatedAt: string
  Version: { Index: number }
  Spec: { Name: string }
}

describe('pulpo up in swarm mode', () => {
  let s: Swarm
  let name: string
  let dir: string
  const env = { API_TOKEN: TOKEN }
  const run = (...args: string[]) => pulpo([...args, '-e', 'prod'], { cwd: dir, env })
  const inspect = async (): Promise<Inspected[]> => {
    const ids = (await dockerOn(s.manager, 'service', 'ls', '--quiet', '--filter', `label=dev.pulpo.project=${name}`)).split('\n').filter(Boolean)
    return ids.length ? JSON.parse(await dockerOn(s.manager, 'service', 'inspect', ...ids)) : []
  }

  before(async () => {
    await ensureBinary()
    s = swarm()
    name = uniqueName('deploy')
    dir = stackProject(s, name)
    const built = await run('build', '--push')
    assert.equal(built.exitCode, 0, show(built))
  })
  after(async () => {
    await run('down', '--volumes')
    removeDir(dir)
  })

  it('deploys the stack in dependency order, the api spread over nodes, the secret only in the process', async () => {
    const up = await run('up')
    assert.equal(up.exitCode, 0, show(up))
    const services = await inspect()
    const created = Object.fromEntries(services.map((x) => [x.Spec.Name.slice(name.length + 1), Date.parse(x.CreatedAt)]))
    assert.deepEqual(Object.keys(created).sort(), ['api', 'db', 'migrate', 'worker'])
    // Each service is created only once what it waits for holds: the job completed before the api.
    const [job] = jsonLines<{ CurrentState: string }>(await dockerOn(s.manager, 'service', 'ps', `${name}_migrate`, '--format', '{{json .}}'))
    assert.match(job.CurrentState, /^Complete/)
    const jobTask = JSON.parse(await dockerOn(s.manager, 'inspect', (await dockerOn(s.manager, 'service', 'ps', '-q', `${name}_migrate`)).trim()))[0]
    assert.ok(created.db < created.migrate && Date.parse(jobTask.Status.Timestamp) <= created.api && created.api < created.worker, JSON.stringify({ created, job: jobTask.Status.Timestamp }))
    const nodes = new Set(jsonLines<{ Node: string }>(await dockerOn(s.manager, 'service', 'ps', `${name}_api`, '--filter', 'desired-state=running', '--format', '{{json .}}')).map((t) => t.Node))
    assert.ok(nodes.size >= 2, `api replicas on ${[...nodes].join(', ')}`)
    // The migration ran against the db before anything else.
    assert.deepEqual((await getJson(s, name, 'http://db:7000/')).rows, ['migrated'])
    // The token reaches the api's process environment...
    assert.equal((await getJson(s, name, 'http://api:8000/')).token, true)
    // ...and is in no service spec, no task, and no file under the project.
    const specs = await dockerOn(s.manager, 'service', 'inspect', ...services.map((x) => x.ID))
    assert.ok(!specs.includes(TOKEN), 'the token is in docker service inspect')
    const tasks = (await dockerOn(s.manager, 'service', 'ps', '-q', `${name}_api`)).split('\n').filter(Boolean)
    assert.ok(!(await dockerOn(s.manager, 'inspect', ...tasks)).includes(TOKEN), 'the token is in a task')
    // run_cache/stack.yml is what was deployed, accepted by the Docker CLI, with secrets by name only.
    const compiled = await run('compile')
    assert.equal(compiled.exitCode, 0, show(compiled))
    await dockerOn(s.manager, 'stack', 'config', '-c', join(dir, 'run_cache', 'stack.yml'))
    assert.match(readFileSync(join(dir, 'run_cache', 'stack.yml'), 'utf8'), new RegExp(`${name}_api_API_TOKEN_[0-9a-f]{12}`))
    for (const f of filesUnder(dir)) assert.ok(!readFileSync(f, 'utf8').includes(TOKEN), `the token is in ${f}`)
    assert.ok(!up.stdout.includes(TOKEN) && !up.stderr.includes(TOKEN))
  })

  it('an unchanged up changes nothing', async () => {
    const before = await inspect()
    const up = await run('up', '--json')
    assert.equal(up.exitCode, 0, show(up))
    const out = JSON.parse(up.stdout)
    assert.deepEqual(out.plan?.summary ?? out.summary, { create: 0, update: 0, delete: 0, noop: 4 }, up.stdout)
    const afterUp = await inspect()
    assert.deepEqual(afterUp.map((x) => [x.Spec.Name, x.Version.Index]).sort(), before.map((x) => [x.Spec.Name, x.Version.Index]).sort())
    const status = JSON.parse((await run('status', '--json')).stdout)
    const api = status.services.find((x: { name: string }) => x.name === 'api')
    assert.deepEqual(api.replicas, { running: 3, desired: 3 })
    assert.equal(api.update, 'completed')
    assert.ok(api.nodes.length >= 2)
    assert.match(api.image, new RegExp(`^${s.registry.replace(/\./g, '\\.')}/${name}-api@sha256:`))
  })

  it('shows a service changed by hand as drift, and up puts it back', async () => {
    await dockerOn(s.manager, 'service', 'update', '--detach', '--env-add', 'BY_HAND=1', `${name}_worker`)
    const status = JSON.parse((await run('status', '--json')).stdout)
    const worker = status.services.find((x: { name: string }) => x.name === 'worker')
    assert.equal(worker.drift, true, JSON.stringify(worker))
    assert.equal(worker.action, 'update')
    assert.match(worker.reasons.join(' '), /spec \(changed outside pulpo\)/)
    assert.ok(status.services.filter((x: { drift?: boolean }) => x.drift).length === 1)
    const up = await run('up')
    assert.equal(up.exitCode, 0, show(up))
    const env = await dockerOn(s.manager, 'service', 'inspect', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Env}}', `${name}_worker`)
    assert.ok(!env.includes('BY_HAND'), env)
    const again = JSON.parse((await run('status', '--json')).stdout)
    assert.deepEqual(again.services.filter((x: { drift?: boolean; action: string }) => x.drift || x.action !== 'noop'), [])
  })

  it('keeps the persisted data across down and up; down leaves nothing of the project on any node', async () => {
    await inNetwork(s, name, 'import urllib.request; urllib.request.urlopen(urllib.request.Request("http://db:7000/kept", data=b"", method="POST"), timeout=10)')
    const down = await run('down')
    assert.equal(down.exitCode, 0, show(down))
    assertNoStackTrace(down)
    await eventually('nothing of the project left', async () => ((await leftovers(s, name)).length ? undefined : true), 120_000).catch(async (e) => {
      assert.fail(`${(e as Error).message}: ${(await leftovers(s, name)).join(', ')}`)
    })
    const up = await run('up')
    assert.equal(up.exitCode, 0, show(up))
    // The job ran again (a new deploy), the row written before down is still there.
    assert.deepEqual((await getJson(s, name, 'http://db:7000/')).rows, ['migrated', 'kept', 'migrated'])
    const gone = await run('down', '--volumes')
    assert.equal(gone.exitCode, 0, show(gone))
    const volumes = (await dockerOn(s.manager, 'volume', 'ls', '--format', '{{.Name}}')).split('\n').filter((v) => v.startsWith(`${name}_`))
    assert.deepEqual(volumes, [])
  })
})
