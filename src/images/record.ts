import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeAtomic } from '../project/atomic.js'
import { privateDir, pulpoRoot, StateDir } from '../project/paths.js'

/** What `pulpo build` knows of one service's image in one environment. */
export interface ImageRecord {
  /** The tag it was built as: `<registry>/<project>-<service>:<content hash>`. */
  image: string
  /** The content hash (the tag). */
  hash: string
  /** The manifest digest in the registry, once pushed (or found there). */
  digest?: string
  /** `<registry>/<project>-<service>@<digest>`: what a cluster should deploy, immutable. */
  pinned?: string
}

/**
 * `.pulpo/<project>/images.json`: per environment, per service, beside the project's other state
 * (two projects of one directory keep theirs apart). No secrets: names and digests only.
 */
type Records = Record<string, Record<string, ImageRecord>>

export const imagesFile = (projectDir: string, project: string) => join(new StateDir(projectDir, project).root, 'images.json')

function readAll(projectDir: string, project: string): Records {
  const file = imagesFile(projectDir, project)
  if (!existsSync(file)) return {}
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Records
  } catch {
    // A damaged record only costs a registry lookup on the next build.
    return {}
  }
}

/** The images `pulpo build` recorded for an environment, by service (what a backend deploys). */
export function recordedImages(projectDir: string, project: string, environment: string): Record<string, ImageRecord> {
  return readAll(projectDir, project)[environment] ?? {}
}

/** Records images of an environment, keeping the other services' and environments' records. */
export function recordImages(projectDir: string, project: string, environment: string, images: Record<string, ImageRecord>): void {
  const all = readAll(projectDir, project)
  const env = { ...all[environment], ...images }
  all[environment] = Object.fromEntries(Object.keys(env).sort().map((k) => [k, env[k]]))
  const sorted = Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]]))
  const dirs = new StateDir(projectDir, project)
  pulpoRoot(projectDir)
  privateDir(dirs.root)
  // Whole or not at all: a reader never sees half a file.
  writeAtomic(imagesFile(projectDir, project), JSON.stringify(sorted, null, 2) + '\n')
}
