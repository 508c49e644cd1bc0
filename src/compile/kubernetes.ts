/**
 * run_cache/kubernetes/<environment>/ for a `mode: kubernetes` environment (pure): per service a
 * workload (Deployment; StatefulSet with a volume claim for `persist: true`; Job for a service
 * another waits on with `completed`), a Service for its port, a ConfigMap with its environment and
 * a Secret with the secret part of it, plus a Namespace and a kustomization.yaml. Nothing here
 * deploys: the user applies the directory with `kubectl apply -k`.
 */
import { createHash } from 'node:crypto'
import { basename } from 'node:path'
import { stringify } from 'yaml'
import type { Project, Service } from '../config/types.js'
import { KINDS } from '../kinds/kinds.js'
import { RUN_CACHE } from '../project/paths.js'
import { toMillis } from '../util/duration.js'
import { kubernetesName } from '../util/kubernetes-name.js'
import { isSecretEnv } from './compose.js'
import { container, jobServices, KUBECTL_IMAGE, portOf, waitContainers, WAIT_ACCOUNT } from './kubernetes-pod.js'
import type { GeneratedFile } from './prefect.js'

type Obj = Record<string, unknown>

/** Size of the volume claimed for a `persist: true` service (pulpo.yaml has no key for it yet). */
export const VOLUME_SIZE = '1Gi'

/** Where an environment's manifests go, relative to run_cache/. */
export const kubernetesDir = (environment: string) => `kubernetes/${environment}`

/** The commands that apply an exported environment and follow its rollout. */
export function kubernetesCommands(project: Project): string[] {
  const dir = `${RUN_CACHE}/${kubernetesDir(project.environment)}`
  const jobs = jobServices(project)
  const workloads = Object.values(project.services)
    .filter((s) => !jobs.has(s.name))
    .map((s) => `${s.persist ? 'statefulset' : 'deployment'}/${kubernetesName(s.name)}`)
    .sort()
  return [`kubectl apply -k ${dir}`, ...workloads.map((w) => `kubectl rollout status -n ${project.namespace} ${w}`)]
}

const YAML = { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' } as const

/** Documents as one YAML stream. YAML 1.1 quoting, as kubectl reads `on` or `yes` as booleans. */
const documents = (docs: Obj[]) => docs.map((d) => stringify(d, YAML)).join('---\n')

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000))

/** A label value: at most 63 characters, alphanumeric at both ends. */
const labelValue = (s: string) => s.slice(0, 63).replace(/^[^a-z0-9]+|[^a-z0-9]+$/gi, '')

interface ServiceOutput {
  docs: Obj[]
  secret?: Obj
  notes: string[]
  waitsOnJobs: boolean
}

function serviceManifests(s: Service, project: Project, image: string | undefined, jobs: Set<string>): ServiceOutput {
  const name = kubernetesName(s.name)
  const namespace = project.namespace
  const notes: string[] = []
  const warn = (m: string) => notes.push(m)
  const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': labelValue(project.name) }
  const labels = { ...selector, 'app.kubernetes.io/managed-by': 'pulpo' }
  const meta = (n: string) => ({ name: n, namespace, labels })

  // The environment, split: secret-looking names and values holding a secret go to the Secret only.
  const values: Record<string, string> = { ...s.env, ...KINDS[s.kind].containerEnv?.(s, project) }
  if (s.persist) values.PULPO_DATA_DIR = KINDS[s.kind].containerDataDir
  const config: Record<string, string> = {}
  const secret = new Map<string, string>()
  for (const key of Object.keys(values).sort()) (isSecretEnv(key, values[key], project) ? secret.set(key, values[key]) : (config[key] = values[key]))
  const isJob = jobs.has(s.name)
  const refs = { configMap: Object.keys(config).length ? `${name}-env` : undefined, secret: `${name}-secrets` }
  // Secrets in the command or a probe are referred to by variables of the Secret (`used` collects them).
  const main = container(s, project, image, refs, secret, warn, !isJob)
  if (!secret.size) {
    const envFrom = (main.envFrom as Obj[] | undefined)?.filter((e) => !('secretRef' in e))
    if (envFrom?.length) main.envFrom = envFrom
    else delete main.envFrom
  }
  const inits = waitContainers(s, project, jobs, warn)
  const secretData = Object.fromEntries([...secret.keys()].sort().map((k) => [k, Buffer.from(secret.get(k)!).toString('base64')]))

  if (KINDS[s.kind].containerVolumes) warn(`its bind mounts (run_cache/ and python_path) are not mapped: give it an image that contains them`)
  if (s.databases.length) warn(`its databases (${s.databases.join(', ')}) are not created: pulpo up creates them, and nothing runs pulpo up in a cluster; create them with an init script or a Job`)
  if (s.stop.signal !== 'SIGTERM') warn(`stop.signal ${s.stop.signal} is not mapped: Kubernetes stops a container with SIGTERM`)
  const nodeSelector: Record<string, string> = {}
  for (const c of s.deploy?.placement ?? []) {
    const m = /^node\.labels\.([A-Za-z0-9._/-]+)\s*==\s*(\S+)$/.exec(c.trim())
    if (m) nodeSelector[m[1]] = m[2]
    else warn(`placement '${c}' is not mapped (only node.labels.NAME == VALUE becomes a nodeSelector)`)
  }

  // A changed ConfigMap or Secret does not restart pods by itself: their digest in the pod
  // template does (the digest of the values, never the values).
  const digest = createHash('sha256').update(JSON.stringify([config, secretData])).digest('hex').slice(0, 16)
  const waitsOnJobs = inits.some((c) => c.image === KUBECTL_IMAGE)
  const pod = {
    metadata: { labels, annotations: { 'pulpo.dev/config-digest': digest } },
    spec: {
      ...(waitsOnJobs ? { serviceAccountName: WAIT_ACCOUNT } : {}),
      ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
      ...(inits.length ? { initContainers: inits } : {}),
      containers: [main],
      ...(isJob ? { restartPolicy: s.restart.policy === 'no' ? 'Never' : 'OnFailure' } : {}),
      terminationGracePeriodSeconds: seconds(s.stop.timeoutMs),
      ...(isJob && s.persist ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `${name}-data` } }] } : {}),
    },
  }
  const claim = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: VOLUME_SIZE } } }
  const docs: Obj[] = []
  if (refs.configMap) docs.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(refs.configMap), data: config })
  const port = portOf(s)
  if (port !== undefined) docs.push({ apiVersion: 'v1', kind: 'Service', metadata: meta(name), spec: { selector, ports: [{ name: 'main', port, targetPort: 'main', protocol: 'TCP' }] } })
  const update = s.deploy?.update
  const minReady = update?.monitor !== undefined ? { minReadySeconds: seconds(toMillis(update.monitor, 0)) } : {}
  if (isJob) {
    if (s.persist) docs.push({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta(`${name}-data`), spec: claim })
    const backoffLimit = s.restart.policy === 'no' ? 0 : s.restart.maxRestarts ?? 6
    docs.push({ apiVersion: 'batch/v1', kind: 'Job', metadata: meta(name), spec: { backoffLimit, template: pod } })
  } else if (s.persist) {
    if (update?.order === 'start-first') warn(`update.order start-first is not mapped: a StatefulSet replaces its pods one at a time, stopping each first`)
    docs.push({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(name),
      spec: { replicas: s.deploy?.replicas ?? 1, serviceName: name, selector: { matchLabels: selector }, ...minReady, updateStrategy: { type: 'RollingUpdate' }, template: pod, volumeClaimTemplates: [{ metadata: { name: 'data', labels }, spec: claim }] },
    })
  } else {
    const parallel = update?.parallelism ?? 1
    // Docker's default order is stop-first; start-first surges a new pod before an old one goes.
    const strategy = update ? { strategy: { type: 'RollingUpdate', rollingUpdate: update.order === 'start-first' ? { maxSurge: parallel, maxUnavailable: 0 } : { maxSurge: 0, maxUnavailable: parallel } } } : {}
    docs.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(name), spec: { replicas: s.deploy?.replicas ?? 1, selector: { matchLabels: selector }, ...strategy, ...minReady, template: pod } })
  }
  const secretDoc = secret.size ? { apiVersion: 'v1', kind: 'Secret', metadata: meta(refs.secret), type: 'Opaque', data: secretData } : undefined
  return { docs, secret: secretDoc, notes, waitsOnJobs }
}

/** The account the init containers that wait for a Job use: it may read Jobs of its namespace, nothing else. */
function waitAccount(project: Project): Obj[] {
  const metadata = { name: WAIT_ACCOUNT, namespace: project.namespace, labels: { 'app.kubernetes.io/part-of': labelValue(project.name), 'app.kubernetes.io/managed-by': 'pulpo' } }
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata, rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: WAIT_ACCOUNT }, subjects: [{ kind: 'ServiceAccount', name: WAIT_ACCOUNT, namespace: project.namespace }] },
  ]
}

/**
 * The manifests of a kubernetes environment. `images` are the references of services with
 * `build:` (the pinned digests `pulpo build --push` recorded, else their content tags); other
 * services run their `image:` or their kind's. `warnings` say what could not be mapped; the same
 * words are comments at the top of that service's manifest.
 */
export function compileKubernetes(project: Project, images: Record<string, string>): { files: GeneratedFile[]; warnings: string[] } {
  const dir = kubernetesDir(project.environment)
  const header = (extra = '') =>
    `# Generated by pulpo from ${basename(project.file)} (environment ${project.environment}). Do not edit: \`pulpo compile\` rewrites this file.\n# Apply with: kubectl apply -k ${RUN_CACHE}/${dir}\n${extra}`
  const jobs = jobServices(project)
  const files: GeneratedFile[] = []
  const warnings: string[] = []
  const resources: string[] = ['namespace.yaml']
  files.push({ path: `${dir}/namespace.yaml`, content: header() + documents([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: project.namespace, labels: { 'app.kubernetes.io/part-of': labelValue(project.name), 'app.kubernetes.io/managed-by': 'pulpo' } } }]) })
  let waitsOnJobs = false
  for (const svcName of Object.keys(project.services).sort()) {
    const s = project.services[svcName]
    const out = serviceManifests(s, project, images[svcName] ?? s.image ?? KINDS[s.kind].image, jobs)
    const name = kubernetesName(svcName)
    waitsOnJobs ||= out.waitsOnJobs
    warnings.push(...out.notes.map((n) => `${svcName}: ${n}`))
    const comments = out.notes.map((n) => `# not mapped (${svcName}): ${n}\n`).join('')
    files.push({ path: `${dir}/${name}.yaml`, content: header(comments) + documents(out.docs) })
    resources.push(`${name}.yaml`)
    if (out.secret) {
      files.push({ path: `${dir}/${name}.secret.yaml`, private: true, content: header('# Secret values, base64-encoded as Kubernetes requires (not encrypted): keep this file out of version control.\n') + documents([out.secret]) })
      resources.push(`${name}.secret.yaml`)
    }
  }
  if (waitsOnJobs) {
    files.push({ path: `${dir}/wait-for-jobs.yaml`, content: header() + documents(waitAccount(project)) })
    resources.splice(1, 0, 'wait-for-jobs.yaml')
  }
  files.push({ path: `${dir}/kustomization.yaml`, content: header() + documents([{ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', namespace: project.namespace, resources }]) })
  return { files: files.sort((a, b) => a.path.localeCompare(b.path)), warnings }
}
