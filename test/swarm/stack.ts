/**
 * The 3-tier project of the swarm tests: a db with a persisted volume, a migrate job that must
 * complete first, an api with three replicas (a secret token in its environment), a worker.
 * One image (test/swarm/programs/app.py, ROLE picks the part), built FROM the registry's base
 * image with `pulpo build --push`.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, ROOT } from '../cli/helpers.js'
import { dockerOn, type Swarm } from './helpers.js'

const PROGRAMS = join(ROOT, 'test', 'swarm', 'programs')

export interface StackOptions {
  /** The api's VERSION (what it answers). */
  version?: string
  /** The api fails its healthcheck. */
  broken?: boolean
  /** Extra lines under the api service (indented by the caller). */
  api?: string[]
  /** The api's ready timeout. */
  apiTimeout?: string
  /** The api answers its healthcheck only this many seconds after it started. */
  readyAfter?: number
}

/** pulpo.yaml of the 3-tier project; the api token comes from the environment, never the file. */
export function stackYaml(s: Swarm, name: string, opts: StackOptions = {}): string {
  const build = `    build: { context: app, args: { BASE: "${s.baseImage}" } }`
  return [
    'version: 1',
    `project: ${name}`,
    `registry: ${s.registry}`,
    'services:',
    '  db:',
    build,
    '    port: 7000',
    '    publish: false',
    '    persist: true',
    '    env: { ROLE: db, PORT: "7000" }',
    '    ready: { http: /health, interval: 1s }',
    '  migrate:',
    build,
    '    env: { ROLE: migrate }',
    '    depends_on: { db: healthy }',
    '  api:',
    build,
    '    command: [python3, /app/app.py]',
    '    port: 8000',
    '    publish: false',
    `    env: { ROLE: api, API_TOKEN: "\${API_TOKEN}", VERSION: "${opts.version ?? '1'}"${opts.broken ? ', BROKEN: "1"' : ''}${opts.readyAfter ? `, READY_AFTER: "${opts.readyAfter}"` : ''} }`,
    `    ready: { http: /health, interval: 1s${opts.apiTimeout ? `, timeout: ${opts.apiTimeout}` : ''} }`,
    '    depends_on: { migrate: completed, db: healthy }',
    '    deploy: { replicas: 3, update: { monitor: 2s } }',
    ...(opts.api ?? []),
    '  worker:',
    build,
    '    env: { ROLE: worker }',
    '    depends_on: { api: healthy }',
    ...prodEnvironment(s),
  ].join('\n')
}

/** pulpo.yaml's last lines: the `prod` environment on the test cluster's manager. */
export function prodEnvironment(s: Swarm): string[] {
  return [
    'environments:',
    '  prod:',
    '    mode: swarm',
    `    docker_host: ${s.manager}`,
    // This kernel has no IPVS: names resolve to tasks, ports are published per node.
    '    endpoint_mode: dnsrr',
    '    publish_mode: host',
    '',
  ]
}

/** A project directory with the 3-tier pulpo.yaml and the app's build context. */
export function stackProject(s: Swarm, name: string, opts: StackOptions = {}): string {
  return tempDir({
    'pulpo.yaml': stackYaml(s, name, opts),
    'app/Dockerfile': readFileSync(join(PROGRAMS, 'Dockerfile'), 'utf8'),
    'app/app.py': readFileSync(join(PROGRAMS, 'app.py'), 'utf8'),
  })
}

/**
 * Runs a Python program in a container attached to the project's overlay network (on the
 * manager): a client that reaches services by name, as the services themselves do.
 */
export async function inNetwork(s: Swarm, project: string, program: string, ...args: string[]): Promise<string> {
  return dockerOn(s.manager, 'run', '--rm', '--network', `${project}_default`, s.baseImage, 'python3', '-c', program, ...args)
}

/** GETs a URL from inside the network and parses the JSON answer. */
export async function getJson(s: Swarm, project: string, url: string): Promise<any> {
  return JSON.parse(await inNetwork(s, project, 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())', url))
}

/**
 * What is left of a project on each node: services, networks, secrets (by name) and running
 * containers. (Not exited ones: Swarm 20.10 leaves a completed job's exited container on its
 * node when the job's service is removed, as the README says.)
 */
export async function leftovers(s: Swarm, project: string): Promise<string[]> {
  const left: string[] = []
  const services = (await dockerOn(s.manager, 'service', 'ls', '--format', '{{.Name}}')).split('\n').filter((n) => n.startsWith(`${project}_`))
  const secrets = (await dockerOn(s.manager, 'secret', 'ls', '--format', '{{.Name}}')).split('\n').filter((n) => n.startsWith(`${project}_`))
  left.push(...services.map((n) => `service ${n}`), ...secrets.map((n) => `secret ${n}`))
  for (const node of s.nodes) {
    const networks = (await dockerOn(node, 'network', 'ls', '--format', '{{.Name}}')).split('\n').filter((n) => n.startsWith(`${project}_`))
    const containers = (await dockerOn(node, 'ps', '--format', '{{.Names}}')).split('\n').filter((n) => n.startsWith(`${project}_`))
    left.push(...networks.map((n) => `network ${n} on ${node}`), ...containers.map((n) => `container ${n} on ${node}`))
  }
  return left
}
