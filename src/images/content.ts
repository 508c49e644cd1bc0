import { createHash, type Hash } from 'node:crypto'
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { PulpoError } from '../errors.js'
import { DockerIgnore } from './dockerignore.js'

/** How a service's image is built, as the resolved Project says. */
export interface BuildSpec {
  /** Absolute path of the build context. */
  context: string
  /** The Dockerfile, relative to the context (default `Dockerfile`). */
  dockerfile?: string
  args?: Record<string, string>
}

/** Bump when what the hash covers changes, so old tags are not taken for new content. */
const HASH_VERSION = 'pulpo-build-1'
/** Hex digits of the content hash used as the tag: 48 bits, plenty for one service's history. */
const TAG_LENGTH = 12

/** The Dockerfile's absolute path. */
export const dockerfileOf = (spec: BuildSpec) => resolve(spec.context, spec.dockerfile ?? 'Dockerfile')

/**
 * The content hash of a build: every file the context sends to the daemon (the .dockerignore
 * applied, as Docker applies it) with its path, executable bit and bytes, plus the Dockerfile and
 * the build args. Equal hashes mean `docker build` would get the same input, so the image it made
 * last time is still right. Timestamps and owners are left out: a fresh clone hashes the same.
 */
export function contentHash(spec: BuildSpec): string {
  const dockerfile = dockerfileOf(spec)
  if (!existsSync(spec.context) || !lstatSync(spec.context).isDirectory()) {
    throw new PulpoError('build-context', `build context ${spec.context} is not a directory`, { hints: ['`build.context` is relative to pulpo.yaml'] })
  }
  if (!existsSync(dockerfile)) {
    throw new PulpoError('build-dockerfile', `no Dockerfile at ${dockerfile}`, { hints: ['`build.dockerfile` is relative to the build context (default: Dockerfile)'] })
  }
  const hash = createHash('sha256').update(HASH_VERSION + '\0')
  hashTree(hash, spec.context, '', DockerIgnore.of(spec.context))
  hash.update('\0dockerfile\0').update(readFileSync(dockerfile))
  const args = Object.entries(spec.args ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  hash.update('\0args\0' + JSON.stringify(args))
  return hash.digest('hex').slice(0, TAG_LENGTH)
}

/** Feeds the entries under `dir` to the hash, in a fixed order (sorted by name at each level). */
function hashTree(hash: Hash, root: string, dir: string, ignore: DockerIgnore): void {
  const names = readdirSync(join(root, dir)).sort()
  for (const name of names) {
    const rel = dir ? `${dir}/${name}` : name
    const abs = join(root, rel)
    const st = lstatSync(abs)
    const excluded = ignore.excludes(rel)
    if (st.isDirectory()) {
      // An excluded directory may still hold a file a `!` line re-includes.
      if (excluded && !ignore.hasExceptions) continue
      if (!excluded) hash.update(`d\0${rel}\0`)
      hashTree(hash, root, rel, ignore)
      continue
    }
    if (excluded) continue
    if (st.isSymbolicLink()) hash.update(`l\0${rel}\0${readlinkSync(abs)}\0`)
    else if (st.isFile()) {
      const file = createHash('sha256').update(readFileSync(abs)).digest('hex')
      hash.update(`f\0${rel}\0${st.mode & 0o111 ? 'x' : '-'}\0${file}\0`)
    }
  }
}
