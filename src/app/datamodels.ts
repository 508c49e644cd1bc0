import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { MongoClient } from 'mongodb'
import type { Project } from '../config/types.js'
import { KINDS } from '../kinds/kinds.js'
import { hostOf, urlAuthority } from '../probes/probe.js'
import { reach } from './reach.js'
import { diffModel, modelSpecs, pending, type ModelSpec } from '../mongo/models.js'
import { allSupported, applyChanges, capabilities, connect, observeModel, serverVersion, unsupported, type Capabilities } from '../mongo/server.js'
import { writeAtomic } from '../project/atomic.js'
import { privateDir, stateDirOf } from '../project/paths.js'

/** A datamodel's state for plan and status. */
export interface DatamodelView {
  name: string
  service: string
  namespace: string
  /** in-sync: nothing to do; drifted: `up` would change it; unknown: its server is not up. */
  state: 'in-sync' | 'drifted' | 'unknown'
  changes: string[]
  /** What the server cannot do, and what is only reported (indexes not in pulpo.yaml). */
  warnings: string[]
}

export interface ServerView {
  service: string
  version?: string
  error?: string
}

/** Where a mongodb service answers from this machine (`at`: where reach() found it). The URL carries no credentials. */
export function mongoUrl(project: Project, service: string, at?: { host: string; port: number }): string {
  const port = at?.port ?? project.services[service].port ?? KINDS.mongodb.defaultPort!
  return `mongodb://${urlAuthority(at?.host ?? hostOf(project), port)}/?directConnection=true`
}

/**
 * What a server supports is found out by `up` (trying each feature, which writes a scratch
 * database) and remembered in .pulpo/ per service and server version, so that plan and status
 * only read.
 */
const capsFile = (project: Project) => join(stateDirOf(project).root, 'mongodb-capabilities.json')

function rememberedCaps(project: Project): Record<string, Capabilities> {
  try {
    return JSON.parse(readFileSync(capsFile(project), 'utf8'))
  } catch {
    return {}
  }
}

async function withServer<T>(project: Project, service: string, mode: 'read' | 'write', fn: (client: MongoClient, caps: Capabilities) => Promise<T>): Promise<T> {
  const client = await connect(mongoUrl(project, service, await reach(project, service)))
  try {
    let caps: Capabilities
    if (mode === 'write') {
      caps = await capabilities(client)
      privateDir(stateDirOf(project).root)
      writeAtomic(capsFile(project), JSON.stringify({ ...rememberedCaps(project), [service]: caps }, null, 1))
    } else {
      const version = await serverVersion(client)
      const known = rememberedCaps(project)[service]
      caps = known?.version === version ? known : allSupported(version)
    }
    return await fn(client, caps)
  } finally {
    await client.close().catch(() => {})
  }
}

function view(spec: ModelSpec, state: 'in-sync' | 'drifted' | 'unknown', changes: string[], warnings: string[]): DatamodelView {
  return { name: spec.name, service: spec.service, namespace: `${spec.database}.${spec.collection}`, state, changes, warnings }
}

/**
 * Each datamodel compared with its collection, for the services that run (`up` would apply the
 * changes). A server that cannot be reached leaves its datamodels `unknown`.
 */
export async function observeDatamodels(project: Project, running: Set<string>, opts: { prune?: boolean } = {}): Promise<{ datamodels: DatamodelView[]; servers: ServerView[] }> {
  const specs = modelSpecs(project)
  const datamodels: DatamodelView[] = []
  const servers: ServerView[] = []
  for (const svc of Object.values(project.services).filter((s) => s.kind === 'mongodb')) {
    const models = specs.filter((s) => s.service === svc.name)
    if (!running.has(svc.name)) {
      servers.push({ service: svc.name })
      datamodels.push(...models.map((m) => view(m, 'unknown', [], [])))
      continue
    }
    try {
      await withServer(project, svc.name, 'read', async (client, caps) => {
        servers.push({ service: svc.name, version: caps.version })
        for (const m of models) {
          const changes = diffModel(m, await observeModel(client, m), opts)
          const todo = pending(changes).filter((c) => !unsupported(c, caps))
          const warnings = changes.filter((c) => c.kind === 'extra-index' || unsupported(c, caps)).map((c) => (c.kind === 'extra-index' ? c.detail : `not supported by the server: ${unsupported(c, caps)} (${c.detail})`))
          datamodels.push(view(m, todo.length ? 'drifted' : 'in-sync', todo.map((c) => c.detail), warnings))
        }
      })
    } catch (e) {
      servers.push({ service: svc.name, error: (e as Error).message })
      datamodels.push(...models.map((m) => view(m, 'unknown', [], [])))
    }
  }
  return { datamodels: datamodels.sort((a, b) => a.name.localeCompare(b.name)), servers }
}

/** Brings the datamodels of one mongodb service to pulpo.yaml; idempotent. */
export async function applyDatamodels(project: Project, service: string, opts: { prune?: boolean; progress?: (text: string) => void } = {}): Promise<{ applied: string[]; warnings: string[] }> {
  const models = modelSpecs(project).filter((m) => m.service === service)
  if (!models.length) return { applied: [], warnings: [] }
  opts.progress?.(`initialising datamodels (${models.map((m) => m.name).join(', ')})`)
  return withServer(project, service, 'write', async (client, caps) => {
    const applied: string[] = []
    const warnings: string[] = []
    for (const m of models) {
      const r = await applyChanges(client, m, diffModel(m, await observeModel(client, m), opts), caps)
      applied.push(...r.applied.map((a) => `${m.name}: ${a}`))
      warnings.push(...r.warnings)
    }
    return { applied, warnings }
  })
}
