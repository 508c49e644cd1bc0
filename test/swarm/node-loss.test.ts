/**
 * A worker node dies under a deployed project (scripts/setup-swarm.sh --kill-node: daemon and
 * containerd killed, network cut, as a machine dies): Swarm reschedules its tasks on the other
 * nodes, and `pulpo status` says the node is down and shows the replicas restored. The node is
 * revived at the end (a plain run of the setup). The only node kill of pulpo's swarm mode tests.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ensureBinary, removeDir, show } from '../cli/helpers.js'
import { dockerOn, eventually, jsonLines, pulpo, setupSwarm, swarm, uniqueName, type Swarm } from './helpers.js'
import { stackProject } from './stack.js'

describe('a worker node lost under a swarm deployment', () => {
  let s: Swarm
  let name: string
  let dir: string
  const env = { API_TOKEN: 'tok-node-loss-91b3' }
  const run = (...args: string[]) => pulpo([...args, '-e', 'prod'], { cwd: dir, env })
  const status = async () => JSON.parse((await run('status', '--json')).stdout)

  before(async () => {
    await ensureBinary()
    s = swarm()
    name = uniqueName('nodeloss')
    dir = stackProject(s, name)
    const built = await run('build', '--push')
    assert.equal(built.exitCode, 0, show(built))
    const up = await run('up')
    assert.equal(up.exitCode, 0, show(up))
  })
  after(async () => {
    setupSwarm()
    await run('down', '--volumes')
    removeDir(dir)
  })

  it('reschedules the tasks of the dead node, and status says the node is down and the replicas are back', async () => {
    const hosts = jsonLines<{ Node: string }>(await dockerOn(s.manager, 'service', 'ps', `${name}_api`, '--filter', 'desired-state=running', '--format', '{{json .}}')).map((t) => t.Node)
    assert.ok(hosts.includes('pulpo-node3'), `an api task on node3 to lose: ${hosts.join(', ')}`)
    setupSwarm('--kill-node', 'node3')
    const after = await eventually('the api back at 3 replicas without node3', async () => {
      const st = await status()
      const api = st.services.find((x: { name: string }) => x.name === 'api')
      const down = st.notes.some((n: string) => /node pulpo-node3 is down/.test(n))
      return down && api.replicas.running === 3 && !api.nodes.includes('pulpo-node3') ? st : undefined
    }, 240_000)
    const api = after.services.find((x: { name: string }) => x.name === 'api')
    assert.deepEqual(api.replicas, { running: 3, desired: 3 })
    assert.equal(after.services.find((x: { name: string }) => x.name === 'worker').replicas.running, 1)
    const text = await run('status')
    assert.match(text.stdout, /note: node pulpo-node3 is down/)
  })
})
