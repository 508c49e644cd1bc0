/**
 * The example in production (issue: the whole stack on the Swarm cluster), end to end on the real
 * three-node test cluster, as scripts/example.sh --prod runs it: pulpo.example.yaml's prod
 * environment with the test cluster's variables (manager, registry, dnsrr + host-mode ports, the
 * stand-in images of scripts/setup-prod-images.sh), in a copy of the example under a project name
 * of its own and on ports of its own, so it runs beside an example already up on the cluster.
 *
 * compile, build --push, up; `pulpo prefect run scraping_flow --deployment` executed by the
 * cluster's runner through the prod Prefect server (on postgres); the API's /jobs with the stored
 * jobs; the UI in headless Chromium (test-artifacts/example-prod-ui.png); status with every service
 * converged and its nodes; a rolling update of the API (an env change) with the UI answering all
 * along; down leaving nothing of the project on any node.
 *
 * Needs: root (the cluster), dist/pulpo, .venv with Prefect (the flow is started from here), and
 * Debian's chromium. Deadlines only bound how long a broken cluster takes to fail; nothing is timed.
 */
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import YAML from 'yaml'
import { assertNoStackTrace, BIN, ensureBinary, removeDir, ROOT, show, tempDir, type Run } from '../cli/helpers.js'
import { execa } from 'execa'
import { dockerOn, eventually, swarm, uniqueName, type Swarm } from '../swarm/helpers.js'
import { leftovers } from '../swarm/stack.js'

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const ARTIFACTS = join(ROOT, 'test-artifacts')
const SCREENSHOT = join(ARTIFACTS, 'example-prod-ui.png')
const IMAGE_VARS = ['PULPO_BASE_IMAGE', 'PULPO_DB_IMAGE', 'PULPO_PREFECT_IMAGE', 'PULPO_PG_IMAGE']

/** The stand-in images: exported by scripts/test.sh, else made (or found) by the setup script. */
function standins(): Record<string, string> {
  if (IMAGE_VARS.every((v) => process.env[v])) return Object.fromEntries(IMAGE_VARS.map((v) => [v, process.env[v]!]))
  const out = execFileSync(join(ROOT, 'scripts', 'setup-prod-images.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 1_800_000 })
  return Object.fromEntries([...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]))
}

/**
 * The example's project under another name, on other ports: pulpo.example.yaml with only the
 * project name, the ports and the venv's path changed (through the yaml document, in place), and
 * the files its builds read: examples/ and the .dockerignore of the runner's context.
 */
function exampleCopy(name: string, firstPort: number): { dir: string; ports: Record<string, number> } {
  const dir = tempDir({})
  cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true, filter: (p) => !p.includes('__pycache__') })
  cpSync(join(ROOT, '.dockerignore'), join(dir, '.dockerignore'))
  const doc = YAML.parseDocument(readFileSync(join(ROOT, 'pulpo.example.yaml'), 'utf8'))
  doc.set('project', name)
  doc.set('python', join(ROOT, '.venv', 'bin', 'python'))
  const ports: Record<string, number> = {}
  for (const svc of Object.keys(doc.getIn(['services']) ? (doc.toJS().services as object) : {})) {
    if (doc.hasIn(['services', svc, 'port'])) doc.setIn(['services', svc, 'port'], (ports[svc] = firstPort + Object.keys(ports).length))
  }
  writeFileSync(join(dir, 'pulpo.example.yaml'), doc.toString())
  return { dir, ports }
}

/** Headless Chromium on a URL, in a process group of its own (killed whole if it hangs). */
async function chromium(dir: string, url: string, extra: string[]): Promise<Run> {
  const profile = mkdtempSync(join(dir, 'chromium-'))
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--virtual-time-budget=5000', ...extra, url]
  const child = spawn(CHROMIUM, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {}
  }, 120_000)
  const code = await new Promise<number>((ok) => child.once('close', (c, sig) => ok(c ?? (sig ? 128 : -1))))
  clearTimeout(timer)
  return { exitCode: code, stdout, stderr }
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) })
  const body = await res.text()
  assert.equal(res.status, 200, `GET ${url}: HTTP ${res.status}: ${body}`)
  return JSON.parse(body) as T
}

interface Job {
  url: string
  title: string
  source: string
}

describe('the example in production on the Swarm cluster (scripts/example.sh --prod)', { skip: !existsSync(CHROMIUM) && `no ${CHROMIUM}` }, () => {
  let s: Swarm
  let name: string
  let dir: string
  let ports: Record<string, number>
  let env: Record<string, string>
  const timings: Record<string, number> = {}
  const run = async (args: string[], extra: Record<string, string> = {}) => {
    const started = Date.now()
    // PATH and HOME only, plus the cluster's variables. The deadline (a fresh build installs the
    // example's dependencies twice) only bounds how long a broken cluster takes to fail.
    const x = await execa(BIN, [...args, '-c', 'pulpo.example.yaml', '-e', 'prod'], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env, ...extra }, extendEnv: false, reject: false, stdin: 'ignore', timeout: 1_800_000 })
    const r: Run = { exitCode: x.exitCode ?? -1, stdout: String(x.stdout), stderr: String(x.stderr) }
    timings[args.slice(0, 2).join(' ')] = (timings[args.slice(0, 2).join(' ')] ?? 0) + Date.now() - started
    return r
  }
  /** The address of a node that runs one of a service's tasks (host-mode ports answer there). */
  const nodeOf = async (service: string): Promise<string> => {
    const node = (await dockerOn(s.manager, 'service', 'ps', `${name}_${service}`, '--filter', 'desired-state=running', '--format', '{{.Node}}')).split('\n')[0]
    return (await dockerOn(s.manager, 'node', 'inspect', node, '--format', '{{.Status.Addr}}')).trim()
  }
  const url = async (service: string, path = '') => `http://${await nodeOf(service)}:${ports[service]}${path}`
  let stored: Job[] = []

  before(async () => {
    await ensureBinary()
    s = swarm()
    name = uniqueName('prod').replace(/[^a-z0-9-]/g, '')
    // Ports of its own on the nodes: a stack of the example may already publish the defaults.
    ;({ dir, ports } = exampleCopy(name, 20000 + Math.floor(Math.random() * 400) * 10))
    env = {
      ...standins(),
      PULPO_PROD_DOCKER_HOST: s.manager,
      PULPO_REGISTRY: s.registry,
      PULPO_ENDPOINT_MODE: 'dnsrr',
      PULPO_PUBLISH_MODE: 'host',
      PG_PASSWORD: `pw-${Math.random().toString(36).slice(2)}`,
    }
  })
  after(async () => {
    if (dir) {
      await run(['down', '--volumes'])
      mkdirSync(ARTIFACTS, { recursive: true })
      writeFileSync(join(ARTIFACTS, 'example-prod-timings.json'), JSON.stringify(timings, null, 1) + '\n')
      removeDir(dir)
    }
  })

  it('compile, build --push and up deploy the whole stack', async () => {
    for (const step of [['compile'], ['build', '--push'], ['up']]) {
      const r = await run(step)
      assert.equal(r.exitCode, 0, `${step.join(' ')}: ${show(r)}`)
      assertNoStackTrace(r)
      assert.ok(!`${r.stdout}${r.stderr}`.includes(env.PG_PASSWORD), `the password is in the output of ${step.join(' ')}`)
    }
  })

  it('status: every service converged, with its nodes; the API on several', async () => {
    const r = await run(['status', '--json'])
    assert.equal(r.exitCode, 0, show(r))
    const services: { name: string; actual: string; replicas: { running: number; desired: number }; nodes: string[]; update: string }[] = JSON.parse(r.stdout).services
    assert.deepEqual(services.map((x) => x.name).sort(), ['api', 'db', 'flows', 'jobboard', 'pg', 'prefect', 'ui'])
    for (const x of services) {
      assert.equal(x.actual, 'running', JSON.stringify(x))
      assert.equal(x.replicas.running, x.replicas.desired, JSON.stringify(x))
      assert.equal(x.update, 'completed', JSON.stringify(x))
      assert.ok(x.nodes.length >= 1, JSON.stringify(x))
    }
    const api = services.find((x) => x.name === 'api')!
    assert.equal(api.replicas.desired, 2)
    assert.ok(api.nodes.length >= 2, `api on ${api.nodes.join(', ')}`)
    const text = await run(['status'])
    assert.equal(text.exitCode, 0, show(text))
    for (const node of api.nodes) assert.ok(text.stdout.includes(node), `status names node ${node}:\n${text.stdout}`)
  })

  it('the scraping flow runs in the cluster through its deployment on the prod Prefect server', async () => {
    const r = await run(['prefect', 'run', 'scraping_flow', '--param', 'keywords=python', '--deployment', '--json'])
    assert.equal(r.exitCode, 0, show(r))
    const out = JSON.parse(r.stdout)
    assert.equal(out.state, 'COMPLETED', r.stdout)
    assert.equal(out.api_url, await url('prefect', '/api'))
    // Executed by the runner service (in the cluster), not by this machine: the server says where.
    const flowRun = await (await fetch(`${out.api_url}/flow_runs/${out.flow_run_id}`, { signal: AbortSignal.timeout(30_000) })).json()
    assert.ok(flowRun.deployment_id, `the run belongs to a deployment: ${JSON.stringify(flowRun)}`)
  })

  it("the API's /jobs lists the jobs the flow stored in the cluster's database", async () => {
    stored = await getJson<Job[]>(await url('api', '/jobs'))
    assert.ok(stored.length > 0, 'no job stored')
    for (const job of stored) assert.ok(['stepstone', 'linkedin'].includes(job.source) && job.url && job.title, JSON.stringify(job))
    assert.equal(new Set(stored.map((j) => j.url)).size, stored.length, 'one job per url (the datamodel\'s unique index)')
    assert.deepEqual(await getJson(await url('ui', '/api/jobs')), stored, "the UI's proxy serves the same")
  })

  it('the UI, rendered by headless Chromium, lists them; a screenshot is saved', async () => {
    const ui = await url('ui', '/')
    const r = await chromium(dir, ui, ['--dump-dom'])
    assert.equal(r.exitCode, 0, show(r))
    const body = r.stdout.match(/<tbody id="jobs">([\s\S]*?)<\/tbody>/)?.[1] ?? ''
    assert.equal(body.match(/<tr>/g)?.length ?? 0, stored.length, `one row per job:\n${r.stdout}`)
    mkdirSync(ARTIFACTS, { recursive: true })
    const shot = await chromium(dir, ui, [`--screenshot=${SCREENSHOT}`, '--window-size=1200,800'])
    assert.equal(shot.exitCode, 0, show(shot))
    assert.ok(readFileSync(SCREENSHOT).subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])), 'a PNG')
  })

  it('a rolling update of the API (an env change) keeps the UI answering', async () => {
    const ui = await url('ui', '/api/jobs/count')
    let answered = 0
    const failures: string[] = []
    let rolling = true
    const poll = (async () => {
      while (rolling) {
        try {
          const res = await fetch(ui, { signal: AbortSignal.timeout(30_000) })
          if (res.status === 200) answered++
          else failures.push(`HTTP ${res.status}: ${await res.text()}`)
        } catch (e) {
          failures.push((e as Error).message)
        }
      }
    })()
    const up = await run(['up'], { PULPO_API_LOG_LEVEL: 'info' }).finally(() => (rolling = false))
    await poll
    assert.equal(up.exitCode, 0, show(up))
    assert.deepEqual(failures, [], `the UI failed ${failures.length} times during the update (${answered} answers)`)
    assert.ok(answered > 0)
    const spec = JSON.parse(await dockerOn(s.manager, 'service', 'inspect', `${name}_api`))[0].Spec
    assert.ok(spec.TaskTemplate.ContainerSpec.Env.includes('LOG_LEVEL=info'), JSON.stringify(spec.TaskTemplate.ContainerSpec.Env))
    const status = JSON.parse((await run(['status', '--json'], { PULPO_API_LOG_LEVEL: 'info' })).stdout)
    const api = status.services.find((x: { name: string }) => x.name === 'api')
    assert.deepEqual([api.update, api.replicas], ['completed', { running: 2, desired: 2 }])
  })

  it('down leaves nothing of the project on any node', async () => {
    const down = await run(['down'], { PULPO_API_LOG_LEVEL: 'info' })
    assert.equal(down.exitCode, 0, show(down))
    await eventually('nothing of the project left', async () => ((await leftovers(s, name)).length ? undefined : true), 180_000).catch(async (e) => {
      assert.fail(`${(e as Error).message}: ${(await leftovers(s, name)).join(', ')}`)
    })
  })
})
