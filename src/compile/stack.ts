import { createHash } from 'node:crypto'
import { basename } from 'node:path'
import { stringify } from 'yaml'
import type { Project, Service } from '../config/types.js'
import { KINDS } from '../kinds/kinds.js'
import { fingerprint, hashOf } from '../plan/hash.js'
import { composeCommand, esc, fileHealthcheck, isSecretEnv, LABEL, seconds } from './compose.js'
import type { GeneratedFile } from './prefect.js'

export const STACK_FILE = 'stack.yml'
/** Where each secret variable's file is mounted: /run/secrets/pulpo_env_KEY. */
export const SECRET_TARGET_PREFIX = 'pulpo_env_'

/**
 * Swarm secrets reach a program as ordinary environment variables: the entrypoint is this fixed
 * shim, which exports each mounted /run/secrets/pulpo_env_KEY as KEY and then execs the command.
 * `docker service inspect` shows only the secret's name; the value lives in the swarm's encrypted
 * store and in the task's in-memory mount. (Written `$$`: stack deploy interpolates `$`.)
 */
const SHIM = 'for f in /run/secrets/pulpo_env_*; do [ -f "$$f" ] || continue; k="$${f#/run/secrets/pulpo_env_}"; export "$$k=$$(cat "$$f")"; done; exec "$$@"'

/** The fingerprint (digests only, no values) on each service, so a plan can name the fields that changed. */
export const FINGERPRINT_LABEL = 'dev.pulpo.fingerprint'

/** A service's config fingerprint in swarm mode: its config, and the image it deploys (a new build is a new digest). */
export function swarmFingerprint(s: Service, project: Project, image: string | undefined): Record<string, string> {
  return { ...fingerprint(s, project.dir), ...(image ? { 'image.deployed': image.replace(/^.*@/, '') } : {}) }
}

/**
 * Counts pulpo's deploys of a service (a service label only, not in stack.yml): a spec whose
 * previous spec has the same count was changed by someone else (`docker service update`): drift.
 */
export const DEPLOY_LABEL = 'dev.pulpo.deploy'

/** A node label pins a persisted service (and its volume) to one node: this one, set by pulpo. */
export const dataLabel = (project: string, service: string) => `dev.pulpo.data.${project}.${service}`

/** One Swarm secret: its content-versioned name (Swarm secrets are immutable) and its value. */
export interface StackSecret {
  name: string
  service: string
  key: string
  value: string
}

/**
 * The secret's name: project, service, key and a digest of the value, so a new value is a new
 * secret and an unchanged one keeps its name. The digest is keyed with the names, like the
 * 12-hex value digests of the config fingerprint.
 */
export function secretName(project: string, service: string, key: string, value: string): string {
  const digest = createHash('sha256').update(`${project}\0${service}\0${key}\0${value}`).digest('hex').slice(0, 12)
  return `${project}_${service}_${key}_${digest}`.slice(0, 64)
}

/** The secrets of a project's services (what `prepare` creates before a deploy). */
export function stackSecrets(project: Project): StackSecret[] {
  return Object.values(project.services).flatMap((s) =>
    Object.entries(envOf(s, project))
      .filter(([k, v]) => isSecretEnv(k, v, project))
      .map(([key, value]) => ({ name: secretName(project.name, s.name, key, value), service: s.name, key, value })),
  ).sort((a, b) => a.name.localeCompare(b.name))
}

function envOf(s: Service, project: Project): Record<string, string> {
  const values: Record<string, string> = { ...s.env }
  const probe = s.ready
  if (probe && (probe.kind === 'tcp' || probe.kind === 'http' || probe.kind === 'mongodb')) values.PULPO_PROBE_PORT = String(probe.port)
  if (probe?.kind === 'http') values.PULPO_PROBE_PATH = probe.path
  Object.assign(values, KINDS[s.kind].containerEnv?.(s, project))
  if (s.persist) values.PULPO_DATA_DIR = KINDS[s.kind].containerDataDir
  return values
}

/** Services something waits for to complete: they run as one-shot jobs (replicated-job). */
export function jobsOf(project: Project): Set<string> {
  return new Set(Object.values(project.services).flatMap((s) => Object.entries(s.dependsOn).filter(([, o]) => o.condition === 'completed').map(([n]) => n)))
}

/** The update order: start-first unless two tasks would share the service's volume. */
export const updateOrder = (s: Service) => s.deploy?.update?.order ?? (s.persist ? 'stop-first' : 'start-first')

const durationText = (d: string | number | undefined, fallback: string) => (d === undefined ? fallback : typeof d === 'number' ? `${d}s` : d)

/**
 * The stack service of one pulpo service; `image` is what to deploy (a digest when pulpo built it).
 * A command or exec probe argument holding a secret is a variable collected in `vars` (as in the compose file).
 */
function stackService(s: Service, project: Project, image: string | undefined, job: boolean, vars: Record<string, string>, deployCount?: number) {
  const env = envOf(s, project)
  const environment: Record<string, string> = {}
  const secrets: { source: string; target: string }[] = []
  const cmd = composeCommand(s, project, vars)
  for (const key of Object.keys(env).sort()) {
    if (!isSecretEnv(key, env[key], project)) {
      environment[key] = esc(env[key])
      continue
    }
    const name = secretName(project.name, s.name, key, env[key])
    secrets.push({ source: name, target: `${SECRET_TARGET_PREFIX}${key}` })
    // Without a command to wrap, the program is told where the file is (the *_FILE convention).
    if (!cmd) environment[`${key}_FILE`] = `/run/secrets/${SECRET_TARGET_PREFIX}${key}`
  }
  const check = fileHealthcheck(s, project, vars)
  const publish = s.publish === false ? undefined : (s.publish ?? s.port)
  const d = s.deploy ?? {}
  const restart = job ? { condition: s.restart.policy === 'no' ? 'none' : 'on-failure', ...(s.restart.maxRestarts !== undefined ? { max_attempts: s.restart.maxRestarts } : {}) } : s.restart.policy === 'on-failure' ? { condition: 'on-failure', ...(s.restart.maxRestarts !== undefined ? { max_attempts: s.restart.maxRestarts } : {}) } : { condition: 'any' }
  const constraints = [...(d.placement ?? []), ...(s.persist ? [`node.labels.${dataLabel(project.name, s.name)} == true`] : [])]
  const fp = swarmFingerprint(s, project, image)
  const labels = { [LABEL.project]: project.name, [LABEL.service]: s.name, [LABEL.hash]: hashOf(fp), [FINGERPRINT_LABEL]: JSON.stringify(fp) }
  const update = { parallelism: d.update?.parallelism ?? 1, order: updateOrder(s), monitor: durationText(d.update?.monitor, '5s'), failure_action: 'rollback' }
  return {
    image: esc(image ?? s.image ?? KINDS[s.kind].image ?? s.name),
    ...(secrets.length && cmd ? { entrypoint: ['/bin/sh', '-c', SHIM, 'pulpo-env', ...(KINDS[s.kind].imageEntrypoint ?? [])] } : {}),
    ...(cmd ? { command: cmd } : {}),
    ...(Object.keys(environment).length ? { environment } : {}),
    ...(secrets.length ? { secrets } : {}),
    ...(check && !job ? { healthcheck: check } : {}),
    ...(publish !== undefined && !job ? { ports: [{ target: s.port ?? publish, published: publish, protocol: 'tcp', mode: project.publishMode ?? 'ingress' }] } : {}),
    ...(s.persist ? { volumes: [`${s.name}-data:${KINDS[s.kind].containerDataDir}`] } : {}),
    init: true,
    stop_signal: s.stop.signal,
    stop_grace_period: seconds(s.stop.timeoutMs),
    // On the containers too: a new config is a new task template, so every change rolls.
    labels,
    deploy: {
      mode: job ? 'replicated-job' : 'replicated',
      ...(job ? {} : { replicas: d.replicas ?? 1 }),
      ...(project.endpointMode && !job ? { endpoint_mode: project.endpointMode } : {}),
      labels: { ...labels, ...(deployCount !== undefined ? { [DEPLOY_LABEL]: String(deployCount) } : {}) },
      ...(constraints.length ? { placement: { constraints } } : {}),
      ...(d.resources ? { resources: { limits: { ...(d.resources.cpus !== undefined ? { cpus: String(d.resources.cpus) } : {}), ...(d.resources.memory !== undefined ? { memory: String(d.resources.memory) } : {}) } } } : {}),
      restart_policy: restart,
      ...(job ? {} : { update_config: update, rollback_config: { parallelism: update.parallelism, order: update.order } }),
    },
  }
}

/**
 * The stack (a compose file for `docker stack deploy`) of the project's swarm environment, or of
 * some of its services (what `up` deploys one at a time, in dependency order). Pure: `images` are
 * the digests `pulpo build --push` recorded. Secret values are never in it: an environment
 * variable's is a Swarm secret named in it, a command or exec probe argument's a `${PULPO_SECRET_...}` variable
 * collected in `vars`, which `docker stack deploy` gets in its environment.
 */
export function stackDoc(project: Project, images: Record<string, string | undefined>, only?: string[], deployCount?: number, vars: Record<string, string> = {}) {
  const jobs = jobsOf(project)
  const names = (only ?? Object.keys(project.services)).sort()
  const services = Object.fromEntries(names.map((n) => [n, stackService(project.services[n], project, images[n], jobs.has(n), vars, deployCount)]))
  const secrets = stackSecrets(project).filter((x) => names.includes(x.service))
  const volumes = names.filter((n) => project.services[n].persist)
  return {
    version: '3.8',
    services,
    networks: { default: { driver: 'overlay', attachable: true, labels: { [LABEL.project]: project.name } } },
    ...(volumes.length ? { volumes: Object.fromEntries(volumes.map((n) => [`${n}-data`, { labels: { [LABEL.project]: project.name } }])) } : {}),
    ...(secrets.length ? { secrets: Object.fromEntries(secrets.map((x) => [x.name, { external: true }])) } : {}),
  }
}

export const stackYaml = (doc: object) => stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })

/** run_cache/stack.yml for a swarm environment (deterministic: `pulpo compile` writes it), and the variables it refers to. */
export function compileStack(project: Project, images: Record<string, string | undefined>): { file: GeneratedFile; secrets: Record<string, string> } {
  const secrets: Record<string, string> = {}
  const doc = stackDoc(project, images, undefined, undefined, secrets)
  const header = `# Generated by pulpo from ${basename(project.file)} (environment ${project.environment}). Do not edit: \`pulpo compile\` rewrites this file.\n# pulpo up deploys it service by service in dependency order; by hand (no ordering): docker stack deploy -c run_cache/stack.yml ${project.name}\n# Secrets are referenced by name only: pulpo up creates them.\n`
  return { file: { path: STACK_FILE, content: header + stackYaml(doc) }, secrets }
}
