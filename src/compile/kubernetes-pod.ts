/**
 * What goes into a Kubernetes pod for one pulpo service (pure): its container (image, args,
 * environment by reference, port, probes, limits) and the init containers that hold it back until
 * its dependencies meet their conditions. kubernetes.ts puts them into workloads and files.
 */
import type { Probe, Project, Service } from '../config/types.js'
import { KINDS } from '../kinds/kinds.js'
import { kubernetesName } from '../util/kubernetes-name.js'

type Obj = Record<string, unknown>

/** What the mapping could not carry over, said once per service at compile time. */
export type Warn = (message: string) => void

/** The image of the init container that waits for a Service to answer (busybox has nc and wget). */
export const WAIT_IMAGE = 'busybox:1.36'
/** The image of the init container that waits for a Job to complete. */
export const KUBECTL_IMAGE = 'registry.k8s.io/kubectl:v1.33.0'
/** The service account (and Role) that may read Jobs, for the init containers that wait on one. */
export const WAIT_ACCOUNT = 'pulpo-wait-for-jobs'

/**
 * Kubernetes expands `$(VAR)` in a container's command, args and env values, and turns `$$` into
 * `$`: doubling every `$` keeps the text as written.
 */
export const escDollar = (s: string) => s.replace(/\$/g, '$$$$')

/** The name of the variable (in the service's Secret) that holds the i-th of the project's secret values. */
export const secretRef = (i: number) => `PULPO_SECRET_${i}`

/** The project's secret values that can be recognised inside other text (as compose.ts does). */
const recognisable = (project: Project) => project.secrets.filter((s) => s.length >= 3)

/**
 * Text that may hold secret values, cut into literal pieces and references to the variables that
 * hold them; `used` collects the secrets referred to, for the service's Secret.
 */
function splitSecrets(text: string, project: Project, used: Map<string, string>): (string | { ref: string })[] {
  let parts: (string | { ref: string })[] = [text]
  recognisable(project).forEach((secret, i) => {
    parts = parts.flatMap((p) => {
      if (typeof p !== 'string' || !p.includes(secret)) return [p]
      used.set(secretRef(i), secret)
      return p.split(secret).flatMap((piece, j) => (j === 0 ? [piece] : [{ ref: secretRef(i) }, piece]))
    })
  })
  return parts.filter((p) => p !== '')
}

/** An argument of the container: literal text escaped, a secret as `$(VAR)` (Kubernetes expands it from the env). */
function containerArg(arg: string, project: Project, used: Map<string, string>): string {
  return splitSecrets(arg, project, used).map((p) => (typeof p === 'string' ? escDollar(p) : `$(${p.ref})`)).join('')
}

/** One word for /bin/sh, single-quoted, a secret as a quoted variable expansion (probes are not expanded by Kubernetes). */
function shellWord(arg: string, project: Project, used: Map<string, string>): string {
  return splitSecrets(arg, project, used).map((p) => (typeof p === 'string' ? `'${p.replace(/'/g, `'\\''`)}'` : `"\${${p.ref}}"`)).join('') || "''"
}

function execCommand(command: string | string[], project: Project, used: Map<string, string>): string[] {
  const hasSecret = (t: string) => recognisable(project).some((s) => t.includes(s))
  if (typeof command === 'string') {
    if (!hasSecret(command)) return ['/bin/sh', '-c', command]
    // A string is shell code: a secret in it becomes a variable reference in the same place.
    return ['/bin/sh', '-c', splitSecrets(command, project, used).map((p) => (typeof p === 'string' ? p : `"\${${p.ref}}"`)).join('')]
  }
  if (!command.some(hasSecret)) return command
  return ['/bin/sh', '-c', `exec ${command.map((a) => shellWord(a, project, used)).join(' ')}`]
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))

/** The port a service listens on: its own, else its kind's default (a mongodb without `port:` listens on 27017). */
export const portOf = (s: Service): number | undefined => s.port ?? KINDS[s.kind].defaultPort

/** The service's probe with the port it has in the pod (a probe written without one has port 0). */
const probeIn = (s: Service): Probe | undefined => (s.ready && 'port' in s.ready && !s.ready.port ? { ...s.ready, port: portOf(s) ?? 0 } : s.ready)

/** The probes of the container: readiness always, liveness and startup where a failure means the process itself is broken. */
export function probes(s: Service, project: Project, used: Map<string, string>, warn: Warn): Obj {
  const probe = probeIn(s)
  if (!probe) return {}
  const period = seconds(probe.intervalMs)
  const timing = { periodSeconds: period, timeoutSeconds: Math.max(period, 5), failureThreshold: 3 }
  // `timeout` (give up when not ready by then) is the startup probe's budget; liveness starts after it.
  const startup = (handler: Obj) => ({ ...handler, periodSeconds: period, timeoutSeconds: Math.max(period, 5), failureThreshold: Math.max(1, Math.ceil(probe.timeoutMs / (period * 1000))) })
  const own = KINDS[s.kind].healthcheck
  // A kind's own check (postgres' pg_isready, the flow runner's ready file) is a command in the container.
  const handler = own ? { exec: { command: ownCheck(own) } } : probeHandler(probe, project, used)
  if (!handler) {
    warn(`its readiness probe (log: a line of its output) cannot be mapped to Kubernetes: the pod is ready once started`)
    return {}
  }
  const port = 'port' in probe && probe.port ? probe.port : undefined
  if (probe.kind === 'exec' || (own && port === undefined)) return { readinessProbe: { ...handler, ...timing } }
  // A database answers its ping only when it can serve; its process is alive when the port accepts.
  const live = (probe.kind === 'mongodb' || probe.kind === 'postgres' || own) && port !== undefined ? { tcpSocket: { port } } : handler
  // Liveness at most every 10 s (Kubernetes' default): a restart is costly, a late one cheap.
  return { startupProbe: startup(live), readinessProbe: { ...handler, ...timing }, livenessProbe: { ...live, ...timing, periodSeconds: Math.max(period, 10), timeoutSeconds: Math.max(period, 5) } }
}

/** The probe handler of a pulpo probe; undefined for `log`, which nothing in a pod can see. */
export function probeHandler(probe: Probe, project: Project, used: Map<string, string>): Obj | undefined {
  switch (probe.kind) {
    case 'http':
      return { httpGet: { path: probe.path, port: probe.port } }
    case 'tcp':
      return { tcpSocket: { port: probe.port } }
    case 'exec':
      return { exec: { command: execCommand(probe.command, project, used) } }
    case 'mongodb':
      // The port is a number the schema checked: it can be part of the script.
      return { exec: { command: ['/bin/sh', '-c', `if command -v mongosh >/dev/null 2>&1; then exec mongosh --quiet --port ${probe.port} --eval 'db.adminCommand({ping: 1}).ok'; fi; exec mongo --quiet --port ${probe.port} --eval 'db.adminCommand({ping: 1}).ok'`] } }
    case 'postgres':
      return { exec: { command: ['/bin/sh', '-c', `exec pg_isready -q -h 127.0.0.1 -p ${probe.port}`] } }
    case 'log':
      return undefined
  }
}

/** A kind's Compose healthcheck as a probe's command: CMD-SHELL runs through the shell, and `$$` was Compose's escape. */
function ownCheck(test: string[]): string[] {
  if (test[0] === 'CMD-SHELL') return ['/bin/sh', '-c', test.slice(1).join(' ').replace(/\$\$/g, '$')]
  return test[0] === 'CMD' ? test.slice(1) : test
}

/*
 * The wait scripts are fixed text; the host, port and path reach them as environment variables,
 * so nothing a user wrote is spliced into shell code.
 */
const WAIT_TCP = 'until nc -z -w 2 "$WAIT_HOST" "$WAIT_PORT"; do echo "waiting for $WAIT_HOST:$WAIT_PORT"; sleep 2; done'
const WAIT_HTTP = 'until wget -q -T 5 -O /dev/null "http://$WAIT_HOST:$WAIT_PORT$WAIT_PATH"; do echo "waiting for http://$WAIT_HOST:$WAIT_PORT$WAIT_PATH"; sleep 2; done'

/** The services another one waits on with `completed`: each of them runs as a Job. */
export function jobServices(project: Project): Set<string> {
  return new Set(Object.values(project.services).flatMap((s) => Object.entries(s.dependsOn).filter(([, d]) => d.condition === 'completed').map(([name]) => name)))
}

/**
 * Kubernetes has no start order: each dependency is an init container that returns once the
 * dependency's Service answers (`started`, `healthy`: a Service routes only to ready pods, and an
 * http probe's path is asked too) or once its Job has completed (`completed`).
 */
export function waitContainers(s: Service, project: Project, jobs: Set<string>, warn: Warn): Obj[] {
  const out: Obj[] = []
  for (const [dep, { condition }] of Object.entries(s.dependsOn).sort(([a], [b]) => a.localeCompare(b))) {
    const target = project.services[dep]
    if (!target) continue
    const name = `wait-for-${kubernetesName(dep)}`.slice(0, 63).replace(/-+$/, '')
    if (condition === 'completed' || jobs.has(dep)) {
      out.push({ name, image: KUBECTL_IMAGE, command: ['kubectl', 'wait', '--for=condition=complete', '--timeout=-1s', `job/${kubernetesName(dep)}`] })
      continue
    }
    const port = portOf(target)
    if (port === undefined) {
      warn(`depends_on ${dep} (${condition}) is not mapped: '${dep}' has no port, so no Service to wait for`)
      continue
    }
    const http = condition === 'healthy' && target.ready?.kind === 'http' ? target.ready : undefined
    const env = [{ name: 'WAIT_HOST', value: kubernetesName(dep) }, { name: 'WAIT_PORT', value: String(port) }, ...(http ? [{ name: 'WAIT_PATH', value: escDollar(http.path) }] : [])]
    out.push({ name, image: WAIT_IMAGE, command: ['/bin/sh', '-c', escDollar(http ? WAIT_HTTP : WAIT_TCP)], env })
  }
  return out
}

/** Docker's memory units (binary) as a Kubernetes quantity: 256M → 256Mi. */
export function memoryQuantity(memory: number | string): string {
  if (typeof memory === 'number') return String(memory)
  const m = /^([0-9]+(?:\.[0-9]+)?)([bkmg]?)$/i.exec(memory.trim())
  if (!m) return memory
  const unit = { '': '', b: '', k: 'Ki', m: 'Mi', g: 'Gi' }[m[2].toLowerCase() as '' | 'b' | 'k' | 'm' | 'g']
  return `${m[1]}${unit}`
}

/** The service's container: everything but its environment's values, which its ConfigMap and Secret hold. */
export function container(s: Service, project: Project, image: string | undefined, refs: { configMap?: string; secret?: string }, used: Map<string, string>, warn: Warn, withProbes: boolean): Obj {
  const command = s.command !== undefined ? (typeof s.command === 'string' ? ['/bin/sh', '-c', s.command] : s.command) : KINDS[s.kind].containerCommand?.(s)
  const limits = s.deploy?.resources
  const envFrom = [...(refs.configMap ? [{ configMapRef: { name: refs.configMap } }] : []), ...(refs.secret ? [{ secretRef: { name: refs.secret } }] : [])]
  return {
    name: kubernetesName(s.name),
    ...(image ? { image } : {}),
    // `command` in pulpo.yaml is Docker's CMD: in Kubernetes that is `args` (the image's entrypoint stays).
    ...(command ? { args: command.map((a) => containerArg(a, project, used)) } : {}),
    ...(envFrom.length ? { envFrom } : {}),
    ...(portOf(s) !== undefined ? { ports: [{ name: 'main', containerPort: portOf(s), protocol: 'TCP' }] } : {}),
    ...(withProbes ? probes(s, project, used, warn) : {}),
    ...(limits && (limits.cpus !== undefined || limits.memory !== undefined) ? { resources: { limits: { ...(limits.cpus !== undefined ? { cpu: String(limits.cpus) } : {}), ...(limits.memory !== undefined ? { memory: memoryQuantity(limits.memory) } : {}) } } } : {}),
    ...(s.persist ? { volumeMounts: [{ name: 'data', mountPath: KINDS[s.kind].containerDataDir }] } : {}),
  }
}
