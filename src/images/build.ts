import type { Project } from '../config/types.js'
import { PulpoError } from '../errors.js'
import { didYouMean } from '../util/didyoumean.js'
import { contentHash, type BuildSpec } from './content.js'
import { DockerCli } from './docker.js'
import { recordImages, type ImageRecord } from './record.js'
import { parseRef, registryDigest } from './registry.js'

/** What happened to one service's image. */
export interface ImageResult {
  service: string
  /** `<registry>/<project>-<service>:<content hash>` (no registry part without one). */
  image: string
  hash: string
  /** Whether `docker build` ran (false: the daemon or the registry already had this content). */
  built: boolean
  pushed: boolean
  digest?: string
  status: 'done' | 'failed'
  /** Why it failed, in one line. */
  error?: string
  /** The output that explains a failure: the failing build step's, or the push's. */
  output?: string
  /** What to do about a failure. */
  hint?: string
}

export interface BuildOptions {
  /** Services to build (default: every service with `build:`). */
  services?: string[]
  push: boolean
  signal?: AbortSignal
}

/** The services `pulpo build` works on, in file order; a name without `build:` is a usage error. */
export function servicesToBuild(project: Project, only: string[] = []): string[] {
  const buildable = Object.keys(project.services).filter((n) => project.services[n].build)
  for (const name of only) {
    if (!project.services[name]) {
      const known = Object.keys(project.services)
      throw new PulpoError('unknown-service', `no service '${name}' in ${project.name} (environment ${project.environment})`, { exitCode: 2, hints: [didYouMean(name, known) ?? `services are: ${known.join(', ')}`] })
    }
    if (!project.services[name].build) throw new PulpoError('no-build', `service '${name}' has no build:`, { exitCode: 2, hints: [buildable.length ? `services with build: are ${buildable.join(', ')}` : 'add build: { context: . } to a service'] })
  }
  return only.length ? buildable.filter((n) => only.includes(n)) : buildable
}

/** The tag of a service's image for this project and environment, from its build's content hash. */
export function imageTag(project: Project, service: string): { image: string; hash: string } {
  const spec = project.services[service].build as BuildSpec
  const hash = contentHash(spec)
  const repo = `${project.name}-${service}`
  return { image: `${project.registry ? `${project.registry.replace(/\/+$/, '')}/` : ''}${repo}:${hash}`, hash }
}

/**
 * Builds (and with `push`, pushes) one service's image, unless the content it would be built from
 * is already there: in the registry (then neither build nor push) or in the daemon (no build).
 * `progress` gets short texts for a progress line.
 */
export async function buildImage(project: Project, service: string, tag: { image: string; hash: string }, cli: DockerCli, opts: BuildOptions & { progress: (text: string) => void }): Promise<ImageResult> {
  const { image, hash } = tag
  const base = { service, image, hash, built: false, pushed: false }
  if (opts.push) {
    opts.progress(`looking for ${image} in the registry`)
    const digest = await registryDigest(image)
    if (digest) return { ...base, digest, status: 'done' }
  }
  let built = false
  const labels = { 'pulpo.project': project.name, 'pulpo.service': service, 'pulpo.content': hash }
  // The same content built before under another name (another registry, or another service of
  // the project built from the same context and args): a new tag, not a build.
  const same = (await cli.imageId(image)) ?? (await cli.imageWithLabels({ 'pulpo.project': project.name, 'pulpo.content': hash }))
  if (!same || !(await cli.tag(same, image))) {
    opts.progress('building')
    const r = await cli.build(project.services[service].build as BuildSpec, image, labels, (line) => {
      const step = /^Step (\d+\/\d+) : (.*)$/.exec(line) ?? /^#\d+ \[[^\]]*?(\d+\/\d+)\] (.*)$/.exec(line)
      if (step) opts.progress(`building: step ${step[1]}: ${step[2].slice(0, 60)}`)
    }, opts.signal, project.secrets)
    if (!r.ok) return { ...base, status: 'failed', ...explainBuildFailure(r.output) }
    built = true
  }
  if (!opts.push) return { ...base, built, status: 'done' }
  opts.progress(`pushing to ${project.registry}`)
  const p = await cli.push(image, () => {}, opts.signal)
  if (!p.ok) return { ...base, built, status: 'failed', ...explainPushFailure(project.registry!, image, p.output) }
  return { ...base, built, pushed: true, ...(p.digest ? { digest: p.digest } : {}), status: 'done' }
}

/** Records what was built for the environment in .pulpo/<project>/images.json (for the cluster backends). */
export function recordResults(project: Project, results: ImageResult[]): void {
  const images: Record<string, ImageRecord> = {}
  for (const r of results) {
    if (r.status !== 'done') continue
    const pinned = r.digest && project.registry ? `${project.registry.replace(/\/+$/, '')}/${parseRef(r.image).repository}@${r.digest}` : undefined
    images[r.service] = { image: r.image, hash: r.hash, ...(r.digest ? { digest: r.digest } : {}), ...(pinned ? { pinned } : {}) }
  }
  if (Object.keys(images).length) recordImages(project.dir, project.name, project.environment, images)
}

/** Checks what `--push` needs before any work: a registry to push to. */
export function checkPushable(project: Project): void {
  if (!project.registry) {
    throw new PulpoError('no-registry', `environment '${project.environment}' has no registry to push to`, { hints: ['set `registry: host:port` at the top of pulpo.yaml, or `registry:` in the environment'] })
  }
}

const lastLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .pop()
    ?.trim() ?? 'no output'

/** Why a push failed, naming the registry: unreachable, or reachable and refusing (with its HTTP status). */
export function explainPushFailure(registry: string, image: string, output: string): { error: string; hint: string; output: string } {
  const why = lastLine(output)
  const unreachable = /connection refused|no such host|i\/o timeout|no route to host|server gave HTTP response to HTTPS client|certificate/i.test(output)
  const status = /HTTP (\d{3})/.exec(output)?.[1]
  return {
    error: unreachable ? `could not reach the registry ${registry} to push ${image}: ${why}` : `the registry ${registry} refused the push of ${image}${status ? ` (HTTP ${status})` : ''}: ${why}`,
    hint: unreachable
      ? `check that ${registry} is up and reachable from the Docker daemon; a plain-HTTP registry must be in the daemon's insecure-registries`
      : `check that ${registry} accepts pushes from you (\`docker login ${registry}\`) and is not read-only`,
    output: output.trim(),
  }
}

/**
 * The failing step of a build and what it printed: the classic builder's output from the last
 * `Step N/M` on, BuildKit's from the last `#N [...]` on; the last 40 lines otherwise.
 */
export function explainBuildFailure(output: string): { error: string; output: string } {
  const lines = output.trimEnd().split('\n').filter((l) => !/^DEPRECATED: The legacy builder|^\s+(Install the buildx|BuildKit is currently)|^\s+https:\/\/docs\.docker\.com\/go\/buildx/.test(l))
  let from = -1
  for (let i = lines.length - 1; i >= 0 && from < 0; i--) if (/^Step \d+\/\d+ : /.test(lines[i]) || /^#\d+ \[/.test(lines[i])) from = i
  const tail = from >= 0 ? lines.slice(from) : lines.slice(-40)
  const step = from >= 0 ? lines[from].replace(/^#\d+ /, '') : undefined
  return { error: step ? `the build failed at ${step}` : `the build failed: ${lastLine(output)}`, output: tail.join('\n') }
}
