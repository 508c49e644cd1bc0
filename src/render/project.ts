import { isAbsolute, relative } from 'node:path'
import type { Probe, Project, Service } from '../config/types.js'
import { maskData, SECRET_NAME } from '../util/mask.js'

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`)

/** A probe in pulpo.yaml's own words. */
function probeView(p: Probe) {
  const timing = { interval: seconds(p.intervalMs), timeout: seconds(p.timeoutMs) }
  switch (p.kind) {
    case 'http':
      return { http: p.path, ...timing }
    case 'tcp':
      return { tcp: p.port, ...timing }
    case 'exec':
      return { exec: p.command, ...timing }
    case 'log':
      return { log: p.pattern, ...timing }
    case 'mongodb':
      return { mongodb: true, ...timing }
    case 'postgres':
      return { postgres: true, ...timing }
  }
}

/**
 * The resolved project in pulpo.yaml's vocabulary (like `docker compose config`): paths relative
 * to the project, defaults filled in, secrets masked (the values of secret-looking variables
 * wherever they appear, and every secret-named env entry).
 */
export function maskedProject(p: Project) {
  // A path outside the project (an interpreter in /usr/bin) reads better as given than as ../../usr/bin.
  const rel = (abs: string) => {
    if (!isAbsolute(abs)) return abs
    const r = relative(p.dir, abs)
    return r === '..' || r.startsWith('../') ? abs : r || '.'
  }
  const maskEnv = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, SECRET_NAME.test(k) ? '***' : v]))
  const service = (s: Service) => ({
    kind: s.kind,
    ...(s.description ? { description: s.description } : {}),
    ...(s.command !== undefined ? { command: s.command } : {}),
    ...(s.image ? { image: s.image } : {}),
    ...(s.build ? { build: { ...s.build, context: rel(s.build.context) } } : {}),
    cwd: rel(s.cwd),
    ...(s.port !== undefined ? { port: s.port } : {}),
    env: maskEnv(s.env),
    depends_on: s.dependsOn,
    ...(s.ready ? { ready: probeView(s.ready) } : {}),
    restart: s.restart.policy,
    ...(s.restart.maxRestarts !== undefined ? { max_restarts: s.restart.maxRestarts } : {}),
    backoff: seconds(s.restart.backoffMs),
    stop: { signal: s.stop.signal, timeout: seconds(s.stop.timeoutMs) },
    persist: s.persist,
    ...(s.watch.length ? { watch: s.watch.map(rel) } : {}),
    ...(s.kind === 'postgres' ? { databases: s.databases } : {}),
    ...(s.database ? { database: s.database } : {}),
  })
  // Where each datamodel lives, with the defaults `up` applies: the only mongodb service, the project's database, the key.
  const mongo = Object.values(p.services).find((s) => s.kind === 'mongodb')?.name
  const datamodel = (name: string, dm: Project['datamodels'][string]) => {
    const service = dm.service ?? mongo
    return { ...(service ? { service } : {}), database: dm.database ?? p.name, collection: dm.collection ?? name, ...dm }
  }
  const view = {
    project: p.name,
    file: p.file,
    environment: p.environment,
    mode: p.mode,
    bind: p.bind,
    python: p.python.includes('/') ? rel(p.python) : p.python,
    python_path: p.pythonPath.map(rel),
    ...(p.composeFile ? { compose_file: rel(p.composeFile) } : {}),
    env: maskEnv(p.env),
    services: Object.fromEntries(Object.values(p.services).map((s) => [s.name, service(s)])),
    datamodels: Object.fromEntries(Object.entries(p.datamodels).map(([name, dm]) => [name, datamodel(name, dm)])),
    operations: p.operations,
  }
  // Mask inside the serialised form, so a secret embedded in any string (a URL, a command) goes too.
  return maskData(view, p.secrets)
}
