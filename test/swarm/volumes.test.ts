/**
 * `down --volumes` on the real cluster for a persisted service whose volume lives on a worker
 * (labelled before the first `up`), which pulpo cannot reach: the data stays there across
 * down/up, `down --volumes` (all, or the service named) deletes it there through a job pinned to
 * the node and says where, and the next `up` starts fresh. When the job cannot delete it (the
 * service's image has no `find`), `down --volumes` exits 1 naming the node and the commands, and
 * keeps the data and the node label. The test itself looks at every node's daemon; pulpo only at
 * the manager's.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertNoStackTrace, ensureBinary, removeDir, show, tempDir } from '../cli/helpers.js'
import { dockerOn, eventually, jsonLines, pulpo, swarm, uniqueName, type Swarm } from './helpers.js'
import { prodEnvironment } from './stack.js'

/**
 * A service that says whether its data dir held a marker when it started (`marker: kept TOKEN`)
 * or not (`marker: fresh TOKEN`, written then), with a file in a subdirectory beside it.
 */
const PROGRAM = [
  'import os, pathlib, secrets, signal, sys, time',
  'signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))',
  "d = pathlib.Path(os.environ['PULPO_DATA_DIR'])",
  "m = d / 'marker'",
  'if m.exists():',
  "    print('marker: kept ' + m.read_text(), flush=True)",
  'else:',
  '    m.write_text(secrets.token_hex(8))',
  "    print('marker: fresh ' + m.read_text(), flush=True)",
  "(d / 'sub').mkdir(exist_ok=True)",
  "(d / 'sub' / 'f').write_text('x')",
  'time.sleep(1e9)',
].join('\n')

const SERVICE = 'store'

/** pulpo.yaml with one persisted service: on the base image, or built from it without `find`. */
function projectDir(s: Swarm, name: string, withoutFind = false): string {
  const image = withoutFind ? `    build: { context: app, args: { BASE: "${s.baseImage}" } }` : `    image: ${s.baseImage}`
  return tempDir({
    'pulpo.yaml': [
      'version: 1',
      `project: ${name}`,
      `registry: ${s.registry}`,
      'services:',
      `  ${SERVICE}:`,
      image,
      `    command: ["python3", "-c", ${JSON.stringify(PROGRAM)}]`,
      '    persist: true',
      ...prodEnvironment(s),
    ].join('\n'),
    ...(withoutFind ? { 'app/Dockerfile': 'ARG BASE\nFROM $BASE\nRUN rm /usr/bin/find\n' } : {}),
  })
}

interface Node {
  ID: string
  Hostname: string
  Self: boolean
  Status: string
  Availability: string
}

/** A ready worker (not the manager pulpo talks to). */
async function worker(s: Swarm): Promise<{ node: Node; socket: string }> {
  const nodes = jsonLines<Node>(await dockerOn(s.manager, 'node', 'ls', '--format', '{{json .}}'))
  const node = nodes.filter((n) => !n.Self && n.Status === 'Ready' && n.Availability === 'Active').sort((a, b) => b.Hostname.localeCompare(a.Hostname))[0]
  assert.ok(node, `no ready worker: ${JSON.stringify(nodes)}`)
  // Each node's socket is where the test reaches its daemon: match them by the daemon's own node id.
  for (const socket of s.nodes) if ((await dockerOn(socket, 'info', '--format', '{{.Swarm.NodeID}}')).trim() === node.ID) return { node, socket }
  throw new Error(`no socket of node ${node.Hostname}`)
}

const labelsOf = async (s: Swarm, node: string): Promise<Record<string, string>> => JSON.parse(await dockerOn(s.manager, 'node', 'inspect', '--format', '{{json .Spec.Labels}}', node)) ?? {}

/** The volume on one node's daemon: undefined when it has none, else the files in it (checked without creating it). */
async function volumeOn(socket: string, volume: string, image: string): Promise<string[] | undefined> {
  const names = (await dockerOn(socket, 'volume', 'ls', '--format', '{{.Name}}')).split('\n')
  if (!names.includes(volume)) return undefined
  const out = await dockerOn(socket, 'run', '--rm', '-v', `${volume}:/v:ro`, image, 'sh', '-c', 'cd /v && find . -mindepth 1 | sort && cat marker 2>/dev/null | sed "s/^/marker=/"')
  return out.split('\n').filter(Boolean)
}

/** The running service's latest `marker:` line, once its task printed one. */
async function markerLine(s: Swarm, name: string): Promise<string> {
  return eventually('the service says whether its marker was there', async () => {
    const lines = (await dockerOn(s.manager, 'service', 'logs', '--raw', `${name}_${SERVICE}`)).split('\n').filter((l) => l.startsWith('marker: '))
    return lines.at(-1)
  })
}

/** Everything of the project on every node: services, labels, volumes (and the containers holding them), network. */
async function cleanUp(s: Swarm, name: string) {
  const services = (await dockerOn(s.manager, 'service', 'ls', '--format', '{{.Name}}')).split('\n').filter((n) => n.startsWith(`${name}_`))
  if (services.length) await dockerOn(s.manager, 'service', 'rm', ...services).catch(() => undefined)
  for (const n of jsonLines<Node>(await dockerOn(s.manager, 'node', 'ls', '--format', '{{json .}}'))) {
    const mine = Object.keys(await labelsOf(s, n.ID)).filter((k) => k.startsWith(`dev.pulpo.data.${name}.`))
    if (mine.length) await dockerOn(s.manager, 'node', 'update', ...mine.flatMap((k) => ['--label-rm', k]), n.ID)
  }
  for (const socket of s.nodes) {
    await eventually(`the project's volumes gone on ${socket}`, async () => {
      const volumes = (await dockerOn(socket, 'volume', 'ls', '--format', '{{.Name}}')).split('\n').filter((v) => v.startsWith(`${name}_`))
      for (const v of volumes) {
        const holders = (await dockerOn(socket, 'ps', '-aq', '--filter', `volume=${v}`)).split('\n').filter(Boolean)
        if (holders.length) await dockerOn(socket, 'rm', '-f', ...holders).catch(() => undefined)
        await dockerOn(socket, 'volume', 'rm', v).catch(() => undefined)
      }
      return volumes.length ? undefined : true
    }, 120_000)
  }
  await dockerOn(s.manager, 'network', 'rm', `${name}_default`).catch(() => undefined)
}

/**
 * The project of a describe block, with a worker labelled for its service's data before the
 * first `up` (the user's choice: the data lives there), and everything of it removed after.
 */
function onWorker(what: string, withoutFind = false) {
  const t = {} as { s: Swarm; name: string; dir: string; node: Node; socket: string }
  before(async () => {
    await ensureBinary()
    t.s = swarm()
    t.name = uniqueName(what)
    t.dir = projectDir(t.s, t.name, withoutFind)
    Object.assign(t, await worker(t.s))
    await dockerOn(t.s.manager, 'node', 'update', '--label-add', `dev.pulpo.data.${t.name}.${SERVICE}=true`, t.node.ID)
    if (withoutFind) {
      const built = await pulpo(['build', '--push', '-e', 'prod'], { cwd: t.dir })
      assert.equal(built.exitCode, 0, show(built))
    }
  })
  after(async () => {
    if (t.name) await cleanUp(t.s, t.name)
    if (t.dir) removeDir(t.dir)
  })
  return {
    t,
    run: (...args: string[]) => pulpo([...args, '-e', 'prod'], { cwd: t.dir }),
    volume: () => `${t.name}_${SERVICE}-data`,
    label: () => `dev.pulpo.data.${t.name}.${SERVICE}`,
  }
}

describe('down --volumes in swarm mode, data on a worker', () => {
  const { t, run, volume, label } = onWorker('vol')

  it('keeps the data on the labelled worker across down and up', async () => {
    const { s, name, node, socket } = t
    const up = await run('up')
    assert.equal(up.exitCode, 0, show(up))
    const [token] = (await markerLine(s, name)).match(/^marker: fresh (\w+)$/)?.slice(1) ?? []
    assert.ok(token, 'the first start found no marker')
    const tasks = jsonLines<{ Node: string }>(await dockerOn(s.manager, 'service', 'ps', '--filter', 'desired-state=running', '--format', '{{json .}}', `${name}_${SERVICE}`))
    assert.deepEqual(tasks.map((t) => t.Node), [node.Hostname])
    assert.deepEqual(await volumeOn(socket, volume(), s.baseImage), ['./marker', './sub', './sub/f', `marker=${token}`])
    assert.equal(await volumeOn(s.manager, volume(), s.baseImage), undefined, 'the manager has a volume of the service')
    const down = await run('down')
    assert.equal(down.exitCode, 0, show(down))
    assert.equal((await labelsOf(s, node.ID))[label()], 'true')
    const again = await run('up')
    assert.equal(again.exitCode, 0, show(again))
    assert.equal(await markerLine(s, name), `marker: kept ${token}`)
  })

  it('down --volumes deletes it on the worker and says where; the next up starts fresh', async () => {
    const { s, name, node, socket } = t
    const before = await markerLine(s, name)
    const down = await run('down', '--volumes')
    assert.equal(down.exitCode, 0, show(down))
    assertNoStackTrace(down)
    assert.match(down.stdout, new RegExp(`${SERVICE}: data deleted on ${node.Hostname}; its volume ${volume()} stays there, empty`))
    assert.match(down.stdout, new RegExp(`on ${node.Hostname}: docker volume rm ${volume()}`))
    // The volume object stays on the worker (only its daemon could remove it), empty.
    assert.deepEqual(await volumeOn(socket, volume(), s.baseImage), [])
    assert.equal((await labelsOf(s, node.ID))[label()], undefined, 'the label stayed')
    const up = await run('up')
    assert.equal(up.exitCode, 0, show(up))
    const line = await markerLine(s, name)
    assert.match(line, /^marker: fresh \w+$/)
    assert.notEqual(line.replace('fresh', 'kept'), before)
  })

  it('down --volumes SERVICE removes it on the manager, or on the worker, and its label', async () => {
    const { s, name, node, socket } = t
    // The up before pinned it to the manager pulpo talks to: a plain volume rm there.
    const manager = jsonLines<Node>(await dockerOn(s.manager, 'node', 'ls', '--format', '{{json .}}')).find((n) => n.Self)!
    assert.equal((await labelsOf(s, manager.ID))[label()], 'true')
    const here = await run('down', '--volumes', SERVICE, '--json')
    assert.equal(here.exitCode, 0, show(here))
    assert.deepEqual(JSON.parse(here.stdout).data, [{ service: SERVICE, volume: volume(), node: manager.Hostname, outcome: 'removed' }])
    assert.equal(await volumeOn(s.manager, volume(), s.baseImage), undefined)
    assert.equal((await labelsOf(s, manager.ID))[label()], undefined)
    // On the worker again, with data in it.
    await dockerOn(s.manager, 'node', 'update', '--label-add', `${label()}=true`, node.ID)
    const up = await run('up')
    assert.equal(up.exitCode, 0, show(up))
    assert.match(await markerLine(s, name), /^marker: fresh /)
    const there = await run('down', '--volumes', SERVICE, '--json')
    assert.equal(there.exitCode, 0, show(there))
    const [data] = JSON.parse(there.stdout).data
    assert.deepEqual({ ...data, commands: undefined }, { service: SERVICE, volume: volume(), node: node.Hostname, outcome: 'emptied', commands: undefined })
    assert.deepEqual(await volumeOn(socket, volume(), s.baseImage), [])
    assert.equal((await labelsOf(s, node.ID))[label()], undefined)
  })
})

describe('down --volumes in swarm mode, data on a worker it cannot delete', () => {
  const { t, run, volume, label } = onWorker('volfail', true)

  it('exits 1 naming the node and the commands, and keeps the data and the label', async () => {
    const { s, name, node, socket, dir } = t
    const up = await run('up')
    assert.equal(up.exitCode, 0, show(up))
    const [token] = (await markerLine(s, name)).match(/^marker: fresh (\w+)$/)?.slice(1) ?? []
    assert.ok(token)
    const down = await run('down', '--volumes')
    assert.equal(down.exitCode, 1, show(down))
    assertNoStackTrace(down)
    assert.match(down.stderr, new RegExp(`✖ ${SERVICE}: its data on ${node.Hostname} was not deleted: the clean-up job on ${node.Hostname} failed: .*find.*not found`))
    assert.ok(down.stderr.includes(`on ${node.Hostname}: docker volume rm ${volume()}`), down.stderr)
    assert.ok(down.stderr.includes(`then on a manager: docker node update --label-rm ${label()} ${node.ID}`), down.stderr)
    assert.doesNotMatch(down.stdout, /data removed/)
    // The service is gone, its data and the label that says where it is are not.
    assert.deepEqual((await dockerOn(s.manager, 'service', 'ls', '--format', '{{.Name}}')).split('\n').filter((n) => n.startsWith(`${name}_`)), [])
    assert.deepEqual(await volumeOn(socket, volume(), s.baseImage), ['./marker', './sub', './sub/f', `marker=${token}`])
    assert.equal((await labelsOf(s, node.ID))[label()], 'true')
    // The project is still found by name (its record is kept): a retry says the same.
    const json = await pulpo(['down', '--volumes', '-p', name, '--json'], { cwd: dir })
    assert.equal(json.exitCode, 1, show(json))
    const [data] = JSON.parse(json.stdout).data
    assert.equal(data.outcome, 'failed')
    assert.equal(data.node, node.Hostname)
  })
})
