import type { Project } from '../config/types.js'
import { buildImage, checkPushable, imageTag, recordResults, servicesToBuild, type ImageResult } from './build.js'
import { DockerCli } from './docker.js'
import { withBuildProgress } from './progress.js'

export { imageTag, type ImageResult } from './build.js'
export { recordedImages, type ImageRecord } from './record.js'

/**
 * `pulpo build`: the images of the chosen services (default: all with `build:`), tagged by content,
 * built only when neither the daemon nor (with `push`) the registry has that content, pushed with
 * `push`, and recorded in .pulpo/<project>/images.json. Talks to the environment's `docker_host`.
 */
export async function buildProject(project: Project, opts: { services?: string[]; push: boolean; silent: boolean; signal?: AbortSignal }): Promise<ImageResult[]> {
  const services = servicesToBuild(project, opts.services)
  if (opts.push) checkPushable(project)
  const cli = new DockerCli(project.dockerHost)
  await cli.check()
  // Every context is hashed before anything is built: a missing context or Dockerfile stops the
  // command before it has changed anything.
  const tags = Object.fromEntries(services.map((s) => [s, imageTag(project, s)]))
  // Two at a time: builds are CPU-bound in the daemon, and pushes wait on the network.
  // Services built from the same content wait for the first of them, then only tag its image.
  const firstOfHash = new Map<string, Promise<unknown>>()
  const work = async (service: string, progress: (text: string) => void) => {
    const { hash } = tags[service]
    const first = firstOfHash.get(hash)
    const mine = (async () => {
      if (first) {
        progress('waiting for the same content to be built')
        await first
      }
      return buildImage(project, service, tags[service], cli, { push: opts.push, signal: opts.signal, progress })
    })()
    firstOfHash.set(hash, mine.catch(() => undefined))
    return mine
  }
  const results = await withBuildProgress(services, work, { silent: opts.silent, concurrency: 2 })
  recordResults(project, results)
  return results
}
