/**
 * The Kubernetes export with the real tools, through the built binary: `pulpo compile` of the
 * example's k8s environment and of test/fixtures/kubernetes (every key the export maps) writes
 * manifests that kubeconform accepts in strict mode against the official schemas of a current
 * Kubernetes version (offline: scripts/setup-kubernetes.sh), and `kubectl kustomize` renders the
 * directory into what kubeconform accepts too. A typo'd field makes the same validation fail.
 * up/plan/status refuse the environment and say how to apply it.
 */
import { before, after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { assertNoStackTrace, ensureBinary, pulpo, ROOT, show } from '../cli/helpers.js'

const SECRETS = { DB_PASSWORD: 'pw-Zq91-secret', API_KEY: 'key-Zq92-secret', WORKER_TOKEN: 'tok-Zq93-secret', PG_PASSWORD: 'pg-Zq94-secret' }
const dirs: string[] = []
let tools: Record<string, string> = {}

/** The tools' environment: from scripts/test.sh (which ran the setup), else from running the setup here (it caches). */
async function setup(): Promise<Record<string, string>> {
  if (process.env.PULPO_KUBECONFORM && process.env.PULPO_K8S_SCHEMAS) return process.env as Record<string, string>
  const r = await execa(join(ROOT, 'scripts', 'setup-kubernetes.sh'), { reject: false, stderr: 'inherit' })
  assert.equal(r.exitCode, 0, `scripts/setup-kubernetes.sh failed:\n${r.stdout}`)
  return Object.fromEntries([...String(r.stdout).matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2].replace(/^'|'$/g, '')]))
}

/** A copy of a project directory, so compiling writes run_cache/ there and not in the checkout. */
function copy(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulpo-k8s-'))
  dirs.push(dir)
  for (const [from, to] of Object.entries(files)) cpSync(join(ROOT, from), join(dir, to), { recursive: true })
  return dir
}

const manifests = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort().map((f) => join(dir, f))

async function kubeconform(args: string[], input?: string) {
  const schemaLocation = `${tools.PULPO_K8S_SCHEMAS}/{{ .ResourceKind }}{{ .KindSuffix }}.json`
  const r = await execa(tools.PULPO_KUBECONFORM, ['-strict', '-summary', '-schema-location', schemaLocation, ...args], { reject: false, ...(input !== undefined ? { input } : { stdin: 'ignore' }) })
  return { exitCode: r.exitCode ?? -1, out: `${r.stdout}\n${r.stderr}` }
}

/** Every manifest valid, and the kustomized whole valid too (when kubectl is there). */
async function assertValid(dir: string, t: { skip: (why: string) => void }, resources: number) {
  const files = manifests(dir)
  const r = await kubeconform(files)
  assert.equal(r.exitCode, 0, r.out)
  assert.match(r.out, new RegExp(`${resources} resources found in ${files.length} files - Valid: ${resources}, Invalid: 0, Errors: 0, Skipped: 0`), r.out)
  if (!tools.PULPO_KUBECTL) return t.skip(`kubectl kustomize not run: ${tools.PULPO_KUBECTL_MISSING}`)
  const k = await execa(tools.PULPO_KUBECTL, ['kustomize', dir], { reject: false, stdin: 'ignore' })
  assert.equal(k.exitCode, 0, String(k.stderr))
  const rendered = await kubeconform(['-'], String(k.stdout))
  assert.equal(rendered.exitCode, 0, rendered.out)
  assert.match(rendered.out, new RegExp(`${resources} resources found parsing stdin - Valid: ${resources}`), rendered.out)
}

before(async () => {
  await ensureBinary()
  tools = await setup()
})
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('kubernetes export (kubeconform against the official schemas, kubectl kustomize)', () => {
  let example: string
  let fixture: string

  before(async () => {
    example = copy({ 'pulpo.example.yaml': 'pulpo.yaml', examples: 'examples' })
    fixture = copy({ 'test/fixtures/kubernetes': '.' })
  })

  it('compiles the example k8s environment into manifests that validate', async (t) => {
    const r = await pulpo(['compile', '-e', 'k8s'], { cwd: example })
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stdout, /kubectl apply -k run_cache\/kubernetes\/k8s\n/)
    assert.match(r.stdout, /kubectl rollout status -n jobs deployment\/api\n/)
    assert.match(r.stderr, /warning: api: no pushed image of its current build context/)
    // 16 before the example's prefect kept its data in a postgres service (pg: its StatefulSet, Service, Secret...).
    await assertValid(join(example, 'run_cache', 'kubernetes', 'k8s'), t, 21)
  })

  it('compiles the fixture with every key into manifests that validate, secrets only in the Secret files', async (t) => {
    const r = await pulpo(['compile'], { cwd: fixture, env: SECRETS })
    assert.equal(r.exitCode, 0, show(r))
    for (const value of Object.values(SECRETS)) assert.ok(!r.stdout.includes(value) && !r.stderr.includes(value), show(r))
    assert.match(r.stderr, /warning: logger: its readiness probe \(log/)
    const dir = join(fixture, 'run_cache', 'kubernetes', 'cluster')
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), 'utf8')
      assert.match(text, /^# Generated by pulpo/, f)
      for (const value of Object.values(SECRETS)) {
        assert.ok(!text.includes(value), `${f} holds a secret`)
        if (!f.endsWith('.secret.yaml')) assert.ok(!text.includes(Buffer.from(value).toString('base64')), `${f} holds a secret in base64`)
      }
      // Base64 is no protection: the owner's alone.
      if (f.endsWith('.secret.yaml')) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, `${f} is readable by others`)
    }
    await assertValid(dir, t, 37)
  })

  it('writes the same bytes again (compile --check finds nothing stale)', async () => {
    const r = await pulpo(['compile', '--check'], { cwd: fixture, env: SECRETS })
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stdout, /is up to date/)
  })

  it('fails validation on a typo in a field: the check checks', async () => {
    const dir = join(fixture, 'run_cache', 'kubernetes', 'cluster')
    const broken = join(mkdtempSync(join(tmpdir(), 'pulpo-k8s-broken-')), 'api.yaml')
    dirs.push(join(broken, '..'))
    const text = readFileSync(join(dir, 'api.yaml'), 'utf8')
    assert.ok(text.includes('readinessProbe:'))
    writeFileSync(broken, text.replace('readinessProbe:', 'readynessProbe:'))
    const r = await kubeconform([broken])
    assert.equal(r.exitCode, 1, r.out)
    assert.match(r.out, /Deployment api is invalid.*additional properties 'readynessProbe' not allowed/, r.out)
  })

  for (const command of ['up', 'plan', 'status']) {
    it(`pulpo ${command} on a kubernetes environment exits 1: export-only, with the kubectl commands`, async () => {
      const r = await pulpo([command, '-e', 'k8s'], { cwd: example })
      assert.equal(r.exitCode, 1, show(r))
      assertNoStackTrace(r)
      assert.match(r.stderr, /environment 'k8s' is export-only \(mode: kubernetes\)/)
      assert.match(r.stderr, /kubectl apply -k run_cache\/kubernetes\/k8s/)
      assert.match(r.stderr, /kubectl rollout status -n jobs deployment\/api/)
      assert.match(r.stderr, /kubectl rollout status -n jobs statefulset\/db/)
    })
  }

  it('the export-only hints name the file given with -c and the manifests as seen from the working directory', async () => {
    const sub = join(example, 'sub')
    mkdirSync(sub, { recursive: true })
    copyFileSync(join(example, 'pulpo.yaml'), join(example, 'other.yaml'))
    const r = await pulpo(['up', '-e', 'k8s', '-c', '../other.yaml'], { cwd: sub })
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /pulpo compile -e k8s -c \.\.\/other\.yaml/)
    assert.match(r.stderr, /kubectl apply -k \.\.\/run_cache\/kubernetes\/k8s/)
  })
})
