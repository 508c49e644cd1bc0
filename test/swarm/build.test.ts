/**
 * `pulpo build` against a real daemon (the test cluster's manager, named by the environment's
 * docker_host) and the real registry every node pulls from: content-hash tags, no rebuild and no
 * re-push of unchanged content, a failing step's output, a registry that refuses the push.
 * What happened is read from pulpo's --json output and checked against the daemon and the registry.
 */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { ImageResult as Image } from '../../src/images/build.js'
import { assertNoStackTrace, ensureBinary, removeDir, show, tempDir } from '../cli/helpers.js'
import { dockerOn, pulpo, swarm, uniqueName, type Swarm } from './helpers.js'


const DOCKERFILE = 'ARG BASE\nFROM $BASE\nCOPY . /app\nCMD ["python3", "/app/app.py"]\n'

/** A project with one service to build (`api`), its registry and its daemon from the test cluster. */
function project(s: Swarm, name: string, opts: { registry?: string; dockerHost?: string; dockerfile?: string; twin?: boolean } = {}) {
  const yaml = [
    'version: 1',
    `project: ${name}`,
    `registry: ${opts.registry ?? s.registry}`,
    'services:',
    '  api:',
    `    build: { context: app, args: { BASE: "local/python:bookworm" } }`,
    '    port: 8000',
    ...(opts.twin ? ['  worker:', `    build: { context: app, args: { BASE: "local/python:bookworm" } }`] : []),
    'environments:',
    '  prod:',
    '    mode: docker',
    `    docker_host: ${opts.dockerHost ?? s.manager}`,
  ].join('\n')
  return tempDir({ 'pulpo.yaml': yaml + '\n', 'app/Dockerfile': opts.dockerfile ?? DOCKERFILE, 'app/app.py': 'print("v1")\n', 'app/.dockerignore': '*.log\n', 'app/notes.log': 'ignored\n' })
}

const images = (stdout: string) => (JSON.parse(stdout) as { images: Image[] }).images

/** The manifest digest the registry holds for an image reference, asked over its HTTP API. */
async function registryDigest(ref: string): Promise<string | undefined> {
  const [, registry, repository, tag] = /^([^/]+)\/(.+):([^:]+)$/.exec(ref)!
  const r = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } })
  return r.ok ? (r.headers.get('docker-content-digest') ?? undefined) : undefined
}

describe('pulpo build', () => {
  let s: Swarm
  const dirs: string[] = []
  const projects: string[] = []
  before(async () => {
    await ensureBinary()
    s = swarm()
  })
  after(async () => {
    for (const d of dirs) removeDir(d)
    for (const p of projects) {
      const ids = (await dockerOn(s.manager, 'image', 'ls', '-q', '--filter', `label=pulpo.project=${p}`).catch(() => '')).split('\n').filter(Boolean)
      if (ids.length) await dockerOn(s.manager, 'image', 'rm', '--force', ...new Set(ids)).catch(() => {})
    }
  })
  const newProject = (opts: Parameters<typeof project>[2] = {}) => {
    const name = uniqueName('build')
    const dir = project(s, name, opts)
    dirs.push(dir)
    projects.push(name)
    return { name, dir }
  }

  it('builds, pushes, records the digest, and a second run neither rebuilds nor pushes', async () => {
    const { name, dir } = newProject()
    const first = await pulpo(['build', '--push', '-e', 'prod', '--json'], { cwd: dir })
    assert.equal(first.exitCode, 0, show(first))
    const [api] = images(first.stdout)
    assert.match(api.image, new RegExp(`^${s.registry.replace(/\./g, '\\.')}/${name}-api:[0-9a-f]{12}$`))
    assert.deepEqual([api.built, api.pushed, api.status], [true, true, 'done'])
    assert.equal(await registryDigest(api.image), api.digest, 'the registry holds what pulpo reports')
    const recorded = JSON.parse(readFileSync(join(dir, '.pulpo', name, 'images.json'), 'utf8')).prod.api
    assert.equal(recorded.pinned, `${s.registry}/${name}-api@${api.digest}`)
    // A node that never saw the image pulls it by digest from the registry.
    await dockerOn(s.nodes[2], 'pull', recorded.pinned)
    await dockerOn(s.nodes[2], 'image', 'rm', recorded.pinned)

    const created = await dockerOn(s.manager, 'image', 'inspect', '--format', '{{.Id}} {{.Created}}', api.image)
    const second = await pulpo(['build', '--push', '-e', 'prod', '--json'], { cwd: dir })
    assert.equal(second.exitCode, 0, show(second))
    assert.deepEqual(images(second.stdout).map((i) => [i.image, i.built, i.pushed, i.digest]), [[api.image, false, false, api.digest]])
    assert.equal(await dockerOn(s.manager, 'image', 'inspect', '--format', '{{.Id}} {{.Created}}', api.image), created, 'the same image, not a rebuild')

    const human = await pulpo(['build', '--push', '-e', 'prod'], { cwd: dir })
    assert.equal(human.exitCode, 0, show(human))
    assert.match(human.stdout, /api: up to date in the registry/)
    assert.match(human.stdout, /1 image: 0 built, 0 pushed, 1 up to date/)
  })

  it('tags by content: an ignored file changes nothing, a kept file or an arg changes the tag', async () => {
    const { dir } = newProject()
    const tagOf = async () => {
      const r = await pulpo(['build', '-e', 'prod', '--json'], { cwd: dir })
      assert.equal(r.exitCode, 0, show(r))
      return images(r.stdout)[0]
    }
    const first = await tagOf()
    assert.equal(first.built, true)
    writeFileSync(join(dir, 'app', 'notes.log'), 'changed, but .dockerignore leaves it out\n')
    const ignored = await tagOf()
    assert.deepEqual([ignored.image, ignored.built], [first.image, false])
    writeFileSync(join(dir, 'app', 'app.py'), 'print("v2")\n')
    const changed = await tagOf()
    assert.notEqual(changed.image, first.image)
    assert.equal(changed.built, true)
    assert.match(await dockerOn(s.manager, 'run', '--rm', changed.image), /v2/)
    const yaml = readFileSync(join(dir, 'pulpo.yaml'), 'utf8')
    writeFileSync(join(dir, 'pulpo.yaml'), yaml.replace('args: { BASE: "local/python:bookworm" }', 'args: { BASE: "local/python:bookworm", EXTRA: "1" }'))
    assert.notEqual((await tagOf()).image, changed.image)
  })

  it('builds content shared by two services once, and tags it for both', async () => {
    const { name, dir } = newProject({ twin: true })
    const r = await pulpo(['build', '-e', 'prod', '--json'], { cwd: dir })
    assert.equal(r.exitCode, 0, show(r))
    const [api, worker] = images(r.stdout)
    assert.equal(api.hash, worker.hash)
    assert.deepEqual([api.built, worker.built], [true, false])
    assert.equal(worker.image, `${s.registry}/${name}-worker:${api.hash}`)
    const id = (ref: string) => dockerOn(s.manager, 'image', 'inspect', '--format', '{{.Id}}', ref)
    assert.equal(await id(worker.image), await id(api.image))
  })

  it("shows a failing step's output and exits 1", async () => {
    const { dir } = newProject({ dockerfile: 'ARG BASE\nFROM $BASE\nRUN echo "the step says: no such table" && exit 3\n' })
    const r = await pulpo(['build', '-e', 'prod'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.match(r.stderr, /api: the build failed at Step \d+\/\d+ : RUN echo "the step says: no such table" && exit 3/)
    assert.match(r.stderr, /^\s+the step says: no such table$/m)
    const json = await pulpo(['build', '-e', 'prod', '--json'], { cwd: dir })
    assert.equal(json.exitCode, 1, show(json))
    const [api] = images(json.stdout)
    assert.equal(api.status, 'failed')
    assert.match(api.output ?? '', /the step says: no such table/)
  })

  it('names the registry that refuses a push, and exits 1', async () => {
    const { dir } = newProject({ registry: s.refusingRegistry })
    const r = await pulpo(['build', '--push', '-e', 'prod'], { cwd: dir })
    assert.equal(r.exitCode, 1, show(r))
    assertNoStackTrace(r)
    assert.match(r.stderr, new RegExp(`the registry ${s.refusingRegistry.replace(/\./g, '\\.')} refused the push of `))
    assert.match(r.stderr, /hint: .*accepts pushes/)
  })

  it('says which daemon does not answer, which service is unknown, and that --push needs a registry', async () => {
    const { dir } = newProject({ dockerHost: 'unix:///nonexistent/docker.sock' })
    const down = await pulpo(['build', '-e', 'prod'], { cwd: dir })
    assert.equal(down.exitCode, 1, show(down))
    assertNoStackTrace(down)
    assert.match(down.stderr, /the Docker daemon at unix:\/\/\/nonexistent\/docker\.sock does not answer/)
    const unknown = await pulpo(['build', '-e', 'prod', 'apii'], { cwd: dir })
    assert.equal(unknown.exitCode, 2, show(unknown))
    assert.match(unknown.stderr, /no service 'apii'.*\n.*did you mean 'api'/i)
    const yaml = readFileSync(join(dir, 'pulpo.yaml'), 'utf8')
    writeFileSync(join(dir, 'pulpo.yaml'), yaml.replace(/^registry: .*\n/m, ''))
    const noRegistry = await pulpo(['build', '--push', '-e', 'prod'], { cwd: dir })
    assert.equal(noRegistry.exitCode, 1, show(noRegistry))
    assert.match(noRegistry.stderr, /environment 'prod' has no registry to push to/)
  })
})
