/**
 * The pure half of `pulpo build`: .dockerignore matching as Docker does it, the content hash that
 * becomes the tag, and the explanations of failed builds and pushes.
 */
import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { validateConfig } from '../../src/config/load.js'
import { explainBuildFailure, explainPushFailure } from '../../src/images/build.js'
import { contentHash } from '../../src/images/content.js'
import { DockerIgnore } from '../../src/images/dockerignore.js'
import { parseRef } from '../../src/images/registry.js'

describe('.dockerignore', () => {
  // [patterns, path, excluded]
  const cases: [string, string, boolean][] = [
    ['*.pyc', 'a.pyc', true],
    ['*.pyc', 'pkg/a.pyc', false],
    ['**/*.pyc', 'pkg/sub/a.pyc', true],
    ['**/*.pyc', 'a.pyc', true],
    ['.venv', '.venv/bin/python', true],
    ['/.venv', '.venv/lib/x.py', true],
    ['./build/', 'build/out.bin', true],
    ['data/*/raw', 'data/2024/raw/x.csv', true],
    ['data/*/raw', 'data/2024/01/raw/x.csv', false],
    ['data/**/raw', 'data/2024/01/raw/x.csv', true],
    ['file?.txt', 'file1.txt', true],
    ['file?.txt', 'file10.txt', false],
    ['[ab].txt', 'b.txt', true],
    ['[!ab].txt', 'b.txt', false],
    ['*.md\n!README.md', 'README.md', false],
    ['*.md\n!README.md', 'CHANGES.md', true],
    ['!README.md\n*.md', 'README.md', true],
    ['docs\n!docs/keep.txt', 'docs/keep.txt', false],
    ['# a comment\n\n  *.log  ', 'x.log', true],
    ['a.b', 'axb', false],
    ['**', 'anything/at/all', true],
  ]
  for (const [patterns, path, excluded] of cases) {
    it(`${JSON.stringify(patterns)} ${excluded ? 'excludes' : 'keeps'} ${path}`, () => {
      assert.equal(DockerIgnore.parse(patterns).excludes(path), excluded)
    })
  }
})

describe('the content hash of a build', () => {
  const dirs: string[] = []
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
  const context = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'pulpo-hash-'))
    dirs.push(dir)
    for (const [name, text] of Object.entries({ Dockerfile: 'FROM scratch\n', ...files })) {
      mkdirSync(dirname(join(dir, name)), { recursive: true })
      writeFileSync(join(dir, name), text)
    }
    return dir
  }

  it('is the same for the same files wherever they are, and 12 hex digits', () => {
    const a = contentHash({ context: context({ 'app.py': 'print(1)\n', 'pkg/m.py': '' }) })
    assert.match(a, /^[0-9a-f]{12}$/)
    assert.equal(contentHash({ context: context({ 'pkg/m.py': '', 'app.py': 'print(1)\n' }) }), a)
  })

  it('changes with a file, a file name, the executable bit, the Dockerfile and the args', () => {
    const base = { 'app.py': 'print(1)\n' }
    const ctx = context(base)
    const h = contentHash({ context: ctx })
    assert.notEqual(contentHash({ context: context({ 'app.py': 'print(2)\n' }) }), h)
    assert.notEqual(contentHash({ context: context({ 'main.py': 'print(1)\n' }) }), h)
    assert.notEqual(contentHash({ context: context({ ...base, Dockerfile: 'FROM scratch\nCOPY . /\n' }) }), h)
    assert.notEqual(contentHash({ context: ctx, args: { BASE: 'python:3.12-slim' } }), h)
    assert.notEqual(contentHash({ context: ctx, args: { BASE: 'python:3.12-slim' } }), contentHash({ context: ctx, args: { BASE: 'python:3.13-slim' } }))
    assert.equal(contentHash({ context: ctx, args: { A: '1', B: '2' } }), contentHash({ context: ctx, args: { B: '2', A: '1' } }), 'args in any order')
    const exec = context(base)
    chmodSync(join(exec, 'app.py'), 0o755)
    assert.notEqual(contentHash({ context: exec }), h)
  })

  it('leaves out what .dockerignore excludes, but not the Dockerfile it names elsewhere', () => {
    const ignore = '.venv\n*.log\n'
    const h = contentHash({ context: context({ '.dockerignore': ignore, 'app.py': '' }) })
    assert.equal(contentHash({ context: context({ '.dockerignore': ignore, 'app.py': '', '.venv/lib/x.py': 'big', 'run.log': 'noise' }) }), h)
    assert.notEqual(contentHash({ context: context({ '.dockerignore': ignore, 'app.py': '', 'run.txt': 'kept' }) }), h)
    // The Dockerfile counts even where .dockerignore leaves it out of the context.
    const withDockerfile = (text: string) => context({ '.dockerignore': 'docker\n', 'docker/api.Dockerfile': text, 'app.py': '' })
    const spec = (text: string) => ({ context: withDockerfile(text), dockerfile: 'docker/api.Dockerfile' })
    assert.notEqual(contentHash(spec('FROM scratch\nCOPY . /\n')), contentHash(spec('FROM scratch\n')))
  })

  it('says clearly when the context or the Dockerfile is missing', () => {
    assert.throws(() => contentHash({ context: join(tmpdir(), 'pulpo-no-such-context') }), /build context .* is not a directory/)
    assert.throws(() => contentHash({ context: context({}), dockerfile: 'nope.Dockerfile' }), /no Dockerfile at .*nope\.Dockerfile/)
  })

})

describe('explaining failures', () => {
  it("shows a classic build's failing step and what it printed", () => {
    const out = 'Sending build context\nStep 1/3 : FROM base\n ---> abc\nStep 2/3 : RUN echo hi && false\n ---> Running in 1\nhi\nThe command \'/bin/sh -c echo hi && false\' returned a non-zero code: 1\n'
    const e = explainBuildFailure(out)
    assert.equal(e.error, 'the build failed at Step 2/3 : RUN echo hi && false')
    assert.equal(e.output.split('\n')[0], 'Step 2/3 : RUN echo hi && false')
    assert.match(e.output, /\nhi\n/)
  })

  it("shows a BuildKit build's failing step", () => {
    const out = '#4 [1/2] FROM base\n#4 DONE 0.1s\n#5 [2/2] RUN false\n#5 ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1\n'
    assert.equal(explainBuildFailure(out).error, 'the build failed at [2/2] RUN false')
  })

  it('names the registry that refused a push, or could not be reached', () => {
    const refused = explainPushFailure('reg:5001', 'reg:5001/p-api:1', 'The push refers to repository [reg:5001/p-api]\nerror parsing HTTP 405 response body: Method not allowed\n')
    assert.match(refused.error, /^the registry reg:5001 refused the push of reg:5001\/p-api:1 \(HTTP 405\)/)
    const unreachable = explainPushFailure('reg:5002', 'reg:5002/p-api:1', 'Get "http://reg:5002/v2/": dial tcp 10.0.0.1:5002: connect: connection refused\n')
    assert.match(unreachable.error, /^could not reach the registry reg:5002/)
  })

  it('splits an image reference for the registry API', () => {
    assert.deepEqual(parseRef('10.0.0.1:5000/team/shop-api:0123456789ab'), { registry: '10.0.0.1:5000', repository: 'team/shop-api', tag: '0123456789ab' })
  })
})

describe('registry and docker_host in the resolved project', () => {
  const VALID = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'valid')
  const project = (env: string) => validateConfig({ config: join(VALID, 'images.yaml'), env, cwd: VALID }).project!

  it("takes the environment's registry over the top-level one, interpolated, and its docker_host", () => {
    const prod = project('prod')
    assert.equal(prod.registry, '127.0.0.1:5000')
    assert.equal(prod.dockerHost, 'ssh://deploy@prod.example.com')
    assert.deepEqual(prod.services.api.build?.args, { BASE: 'python:3.12-slim', PIP_INDEX: '' })
  })

  it('falls back to the top-level registry, and leaves docker_host to DOCKER_HOST when unset', () => {
    const dev = project('dev')
    assert.equal(dev.registry, 'registry.example.com:5000/team')
    assert.equal(dev.dockerHost, undefined)
  })
})
