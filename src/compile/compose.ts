import { basename, relative } from 'node:path'
import { stringify } from 'yaml'
import type { Kind } from '../config/model.js'
import type { Probe, Project, Service } from '../config/types.js'
import { KINDS } from '../kinds/kinds.js'
import { holdsSecret, SECRET_NAME } from '../util/mask.js'
import { fingerprint, hashOf } from '../plan/hash.js'
import type { GeneratedFile } from './prefect.js'

export const COMPOSE_FILE = 'docker-compose.yml'
export const LABEL = { project: 'dev.pulpo.project', service: 'dev.pulpo.service', hash: 'dev.pulpo.config-hash' } as const

const CONDITIONS = { started: 'service_started', healthy: 'service_healthy', completed: 'service_completed_successfully' } as const

/** Compose interpolates `$`: a literal one is written `$$`. */
export const esc = (s: string) => s.replace(/\$/g, '$$$$')

export const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`)

/*
 * Healthcheck scripts are fixed text: the probe's port and path reach them as environment
 * variables (PULPO_PROBE_PORT, PULPO_PROBE_PATH), never spliced into shell code. Each falls back
 * through the tools an image may have: curl, wget, python3, bash's /dev/tcp.
 */
const HTTP_CHECK = [
  'u="http://127.0.0.1:$${PULPO_PROBE_PORT}$${PULPO_PROBE_PATH}"',
  'if command -v curl >/dev/null 2>&1; then exec curl -fsS -o /dev/null "$$u"; fi',
  'if command -v wget >/dev/null 2>&1; then exec wget -q -O /dev/null "$$u"; fi',
  'if command -v python3 >/dev/null 2>&1; then exec python3 -c "import os,urllib.request as r; r.urlopen(\'http://127.0.0.1:%s%s\' % (os.environ[\'PULPO_PROBE_PORT\'], os.environ[\'PULPO_PROBE_PATH\']), timeout=5)"; fi',
  'exec bash -c \'exec 3<>"/dev/tcp/127.0.0.1/$${PULPO_PROBE_PORT}" && printf "GET %s HTTP/1.0\\r\\n\\r\\n" "$${PULPO_PROBE_PATH}" >&3 && head -n1 <&3 | grep -q " [23][0-9][0-9]"\'',
].join('; ')

const TCP_CHECK = [
  'if command -v python3 >/dev/null 2>&1; then exec python3 -c "import os,socket; socket.create_connection((\'127.0.0.1\', int(os.environ[\'PULPO_PROBE_PORT\'])), 5)"; fi',
  'exec bash -c \'exec 3<>"/dev/tcp/127.0.0.1/$${PULPO_PROBE_PORT}"\'',
].join('; ')

const MONGO_CHECK = [
  'if command -v mongosh >/dev/null 2>&1; then exec mongosh --quiet --port "$${PULPO_PROBE_PORT}" --eval "db.adminCommand({ping: 1}).ok" ; fi',
  'if command -v mongo >/dev/null 2>&1; then exec mongo --quiet --port "$${PULPO_PROBE_PORT}" --eval "db.adminCommand({ping: 1}).ok" ; fi',
  TCP_CHECK,
].join('; ')

const POSTGRES_CHECK = ['if command -v pg_isready >/dev/null 2>&1; then exec pg_isready -q -h 127.0.0.1 -p "$${PULPO_PROBE_PORT}"; fi', TCP_CHECK].join('; ')

export function healthcheck(probe: Probe, kind: Kind): { test: string[]; interval: string; timeout: string; retries: number; start_period: string } | undefined {
  const timing = { interval: seconds(probe.intervalMs), timeout: seconds(Math.max(probe.intervalMs, 5000)), retries: 3, start_period: seconds(probe.timeoutMs) }
  const own = KINDS[kind].healthcheck
  if (own) return { test: own, ...timing }
  switch (probe.kind) {
    case 'http':
      return { test: ['CMD-SHELL', HTTP_CHECK], ...timing }
    case 'tcp':
      return { test: ['CMD-SHELL', TCP_CHECK], ...timing }
    case 'mongodb':
      return { test: ['CMD-SHELL', MONGO_CHECK], ...timing }
    case 'postgres':
      return { test: ['CMD-SHELL', POSTGRES_CHECK], ...timing }
    case 'exec':
      // The user's own command, as written: a list runs as argv, a string through the shell.
      return { test: typeof probe.command === 'string' ? ['CMD-SHELL', esc(probe.command)] : ['CMD', ...probe.command.map(esc)], ...timing }
    case 'log':
      // Nothing in a container can read its own log: pulpo waits for the line from the host.
      return undefined
  }
}

/** Whether the service's container gets a healthcheck (a `log` probe has none: pulpo reads the log). */
export function hasHealthcheck(s: Service): boolean {
  return s.ready !== undefined && healthcheck(s.ready, s.kind) !== undefined
}

function command(s: Service): string[] | undefined {
  if (s.command !== undefined) return (typeof s.command === 'string' ? ['/bin/sh', '-c', s.command] : s.command).map(esc)
  return KINDS[s.kind].containerCommand?.(s)
}

/**
 * The command as a generated compose or stack file writes it: an argument holding a secret becomes
 * a `${PULPO_SECRET_...}` variable (collected in `secrets`) that pulpo sets when it runs the CLI.
 */
export function composeCommand(s: Service, project: Project, secrets: Record<string, string>): string[] | undefined {
  if (s.command === undefined) return command(s)
  return (typeof s.command === 'string' ? ['/bin/sh', '-c', s.command] : s.command).map((arg, i) => outOfFile(arg, secretVariable(s.name, `COMMAND_${i}`), project, secrets))
}

/**
 * The healthcheck as a generated compose or stack file writes it: an exec probe's argument holding
 * a secret (`pg_isready -d postgres://u:PASSWORD@...`) becomes a variable, like the command's.
 */
export function fileHealthcheck(s: Service, project: Project, secrets: Record<string, string>): ReturnType<typeof healthcheck> {
  const check = s.ready ? healthcheck(s.ready, s.kind) : undefined
  if (!check || s.ready?.kind !== 'exec' || KINDS[s.kind].healthcheck) return check
  const raw = typeof s.ready.command === 'string' ? [s.ready.command] : s.ready.command
  return { ...check, test: [check.test[0], ...raw.map((arg, i) => outOfFile(arg, secretVariable(s.name, `READY_${i}`), project, secrets))] }
}

/** Variables whose values stay out of the file: the file says `${PULPO_SECRET_...}` and pulpo passes the value. */
export function secretVariable(service: string, key: string): string {
  return `PULPO_SECRET_${service}_${key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_')
}

/** A variable whose value must stay out of generated files: a secret-looking name, or a value holding a secret. */
export function isSecretEnv(key: string, value: string, project: Project): boolean {
  return SECRET_NAME.test(key) || holdsSecret(value, project.secrets)
}

/** Text for the file: a value holding a secret becomes a variable pulpo sets when it runs compose. */
function outOfFile(value: string, variable: string, project: Project, secrets: Record<string, string>): string {
  if (!holdsSecret(value, project.secrets)) return esc(value)
  secrets[variable] = value
  return `\${${variable}}`
}

function environment(s: Service, project: Project, probe: Probe | undefined, secrets: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  const values: Record<string, string> = { ...s.env }
  if (probe && probe.kind !== 'log' && probe.kind !== 'exec') values.PULPO_PROBE_PORT = String(probe.kind === 'tcp' || probe.kind === 'http' || probe.kind === 'mongodb' || probe.kind === 'postgres' ? probe.port : '')
  if (probe?.kind === 'http') values.PULPO_PROBE_PATH = probe.path
  Object.assign(values, KINDS[s.kind].containerEnv?.(s, project))
  if (s.persist) values.PULPO_DATA_DIR = KINDS[s.kind].containerDataDir
  for (const key of Object.keys(values).sort()) {
    const value = values[key]
    if (isSecretEnv(key, value, project)) {
      const name = secretVariable(s.name, key)
      secrets[name] = value
      env[key] = `\${${name}}`
    } else env[key] = esc(value)
  }
  return env
}

/** The compose service of one pulpo service (docker mode). */
function composeService(s: Service, project: Project, composeDir: string, secrets: Record<string, string>) {
  const probe = s.ready
  const check = fileHealthcheck(s, project, secrets)
  const rel = (p: string) => relative(composeDir, p) || '.'
  const build = s.build ? { context: rel(s.build.context), ...(s.build.dockerfile ? { dockerfile: s.build.dockerfile } : {}), ...(s.build.args ? { args: Object.fromEntries(Object.entries(s.build.args).map(([k, v]) => [k, outOfFile(v, secretVariable(s.name, `BUILD_${k}`), project, secrets)])) } : {}) } : undefined
  const image = s.image ?? (build ? undefined : KINDS[s.kind].image)
  const cmd = composeCommand(s, project, secrets)
  const deps = Object.entries(s.dependsOn).sort(([a], [b]) => a.localeCompare(b))
  const policy = s.restart.policy === 'on-failure' && s.restart.maxRestarts !== undefined ? `on-failure:${s.restart.maxRestarts}` : s.restart.policy
  const volumes = [
    ...(s.persist ? [`${s.name}-data:${KINDS[s.kind].containerDataDir}`] : []),
    ...(KINDS[s.kind].containerVolumes?.(s, project, rel) ?? []),
  ]
  return {
    ...(image ? { image: esc(image) } : {}),
    ...(build ? { build } : {}),
    ...(cmd ? { command: cmd } : {}),
    environment: environment(s, project, probe, secrets),
    // `publish`: another host port for a server that listens on its usual one in the container.
    ...(s.port !== undefined && s.publish !== false ? { ports: [`${project.bind}:${s.publish ?? s.port}:${s.port}`] } : {}),
    // `healthy` on a dependency without a healthcheck (a log probe) is an error to Compose ("has no
    // healthcheck configured"): the file says started, and pulpo starts the dependent only once
    // the dependency's log line is seen.
    ...(deps.length ? { depends_on: Object.fromEntries(deps.map(([d, o]) => [d, { condition: CONDITIONS[o.condition === 'healthy' && project.services[d] && !hasHealthcheck(project.services[d]) ? 'started' : o.condition] }])) } : {}),
    ...(check ? { healthcheck: check } : {}),
    // An init as PID 1 passes the stop signal on and reaps children: a process that is PID 1
    // itself ignores SIGTERM and would wait out the whole grace period.
    init: true,
    restart: policy,
    stop_signal: s.stop.signal,
    stop_grace_period: seconds(s.stop.timeoutMs),
    ...(volumes.length ? { volumes } : {}),
    labels: { [LABEL.project]: project.name, [LABEL.service]: s.name, [LABEL.hash]: hashOf(fingerprint(s, project.dir)) },
  }
}

/**
 * run_cache/docker-compose.yml for the project's environment (pure). Valid for Docker Compose v2
 * and v1 alike: no top-level `name` (pulpo passes `-p`), and `depends_on.restart` is applied by
 * pulpo rather than written. Secret values are never written: the file refers to variables that
 * pulpo sets when it runs compose.
 */
export function compileCompose(project: Project): { file: GeneratedFile; secrets: Record<string, string> } {
  const composeDir = `${project.dir}/run_cache`
  const secrets: Record<string, string> = {}
  const names = Object.keys(project.services).sort()
  const services = Object.fromEntries(names.map((n) => [n, composeService(project.services[n], project, composeDir, secrets)]))
  const volumes = names.filter((n) => project.services[n].persist).map((n) => `${n}-data`)
  const doc = {
    services,
    ...(volumes.length ? { volumes: Object.fromEntries(volumes.map((v) => [v, { labels: { [LABEL.project]: project.name } }])) } : {}),
  }
  const header = `# Generated by pulpo from ${basename(project.file)} (environment ${project.environment}). Do not edit: \`pulpo compile\` rewrites this file.\n# Run it as pulpo does: docker compose -p ${project.name} -f run_cache/docker-compose.yml up -d\n`
  return { file: { path: COMPOSE_FILE, content: header + stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' }) }, secrets }
}
