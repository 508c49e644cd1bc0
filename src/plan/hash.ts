import { relative } from 'node:path'
import { sha256 } from '../util/sha256.js'
import type { Service } from '../config/types.js'

/**
 * The part of a service's config whose change needs a restart to take effect, flattened to
 * `field.path → digest of the value` so a plan can say which field changed. Left out (as compose leaves out
 * depends_on and scale): description, depends_on (ordering, not the process) and watch (the
 * supervisor re-reads it).
 */
export function fingerprint(s: Service, projectDir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const put = (key: string, value: unknown) => {
    if (value === undefined) return
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const k of Object.keys(value).sort()) put(`${key}.${k}`, (value as Record<string, unknown>)[k])
    } else out[key] = digest(JSON.stringify(value))
  }
  put('kind', s.kind)
  put('command', s.command)
  put('image', s.image)
  // Paths relative to the project: a project moved or copied elsewhere is the same config.
  put('build', s.build ? { ...s.build, context: relative(projectDir, s.build.context) || '.' } : undefined)
  put('cwd', relative(projectDir, s.cwd) || '.')
  put('port', s.port)
  put('env', s.env)
  put('ready', s.ready)
  put('restart', s.restart)
  put('stop', s.stop)
  put('persist', s.persist)
  // Only swarm mode reads it; unset, it adds nothing, so other services keep their hash.
  put('deploy', s.deploy)
  put('publish', s.publish)
  return out
}

// Values are kept as digests: the fingerprint is stored in .pulpo/ and must not hold secrets.
const digest = (s: string) => sha256(s).slice(0, 12)

/** A short, stable hash of a fingerprint: SHA-256 of `key\0value\0` for each key in order. */
export function hashOf(fp: Record<string, string>): string {
  let text = ''
  for (const k of Object.keys(fp).sort()) text += `${k}\0${fp[k]}\0`
  return sha256(text).slice(0, 16)
}
