import { Listr } from 'listr2'
import { listrOptions } from '../render/progress.js'
import type { ImageResult } from './build.js'

/**
 * Runs `work` for each service under listr2 progress (a line per service that says what it does;
 * plain lines when stdout is not a terminal; nothing under --json), at most `concurrency` at once.
 * Every service runs even when another fails; the results come back in the services' order.
 */
export async function withBuildProgress(services: string[], work: (service: string, progress: (text: string) => void) => Promise<ImageResult>, opts: { silent: boolean; concurrency: number }): Promise<ImageResult[]> {
  const results = new Map<string, ImageResult>()
  const list = new Listr(
    services.map((service) => ({
      title: `${service}: pending`,
      task: async (_ctx: unknown, task: { title: string }) => {
        const r = await work(service, (text) => (task.title = `${service}: ${text}`))
        results.set(service, r)
        task.title = `${service}: ${r.status === 'failed' ? 'failed' : summary(r)}`
        if (r.status === 'failed') throw new Error(r.error ?? 'failed')
      },
    })),
    listrOptions({ silent: opts.silent, concurrent: opts.concurrency }),
  )
  await list.run().catch(() => {})
  return services.map((s) => results.get(s)).filter((r): r is ImageResult => r !== undefined)
}

/** One service's outcome in a few words, e.g. `built and pushed api-1a2b3c (sha256:…)`. */
export function summary(r: ImageResult): string {
  if (r.status === 'failed') return r.error ?? 'failed'
  const what = r.built && r.pushed ? 'built and pushed' : r.built ? 'built' : r.pushed ? 'pushed' : r.digest ? 'up to date in the registry' : 'up to date'
  return `${what} ${r.image}`
}
