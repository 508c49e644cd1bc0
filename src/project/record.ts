import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import type { Kind, Mode } from '../config/model.js'
import type { Project, Service } from '../config/types.js'
import { holdsSecret } from '../util/mask.js'
import { writeAtomic } from './atomic.js'
import { privateDir, StateDir, stateDirOf, stateRoot } from './paths.js'

/**
 * What `pulpo up` applied, kept in .pulpo/<project>/project.json: which file, which environment,
 * and enough of each service to stop it in order. It reaches a running project when its file is
 * broken or gone (`-p NAME`), and makes a plain command act on the environment that runs. Names,
 * modes and stop settings only: no value of the file.
 */
export interface ProjectRecord {
  version: 1
  name: string
  /** The pulpo file, relative to the project directory. */
  file: string
  environment: string
  mode: Mode
  /** A compose file of the user's (docker mode), relative to the project directory. */
  composeFile?: string
  /** The Docker daemon of a docker or swarm environment (never one with a password in it). */
  dockerHost?: string
  services: Record<string, { kind: Kind; dependsOn: string[]; stop: Service['stop']; persist: boolean }>
}

export function readRecord(dirs: StateDir): ProjectRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(dirs.record, 'utf8')) as ProjectRecord
    return r?.version === 1 && typeof r.name === 'string' ? r : undefined
  } catch {
    return undefined
  }
}

export function writeRecord(project: Project): void {
  const dirs = stateDirOf(project)
  const services = Object.fromEntries(
    Object.values(project.services).map((s) => [s.name, { kind: s.kind, dependsOn: Object.keys(s.dependsOn), stop: s.stop, persist: s.persist }]),
  )
  const record: ProjectRecord = {
    version: 1,
    name: project.name,
    // project.file is how the user sees it: relative to the working directory.
    file: relative(project.dir, resolve(project.file)),
    environment: project.environment,
    mode: project.mode,
    ...(project.composeFile ? { composeFile: relative(project.dir, project.composeFile) } : {}),
    ...(project.dockerHost && !holdsSecret(project.dockerHost, project.secrets) ? { dockerHost: project.dockerHost } : {}),
    services,
  }
  privateDir(dirs.root)
  writeAtomic(dirs.record, JSON.stringify(record, null, 1) + '\n')
}

export function forgetRecord(project: Project): void {
  rmSync(stateDirOf(project).record, { force: true })
}

/** The file a record names, as an absolute path. */
export const recordFile = (projectDir: string, r: ProjectRecord) => resolve(projectDir, r.file)

/** Every project recorded in a directory's .pulpo/. */
export function recordsIn(projectDir: string): ProjectRecord[] {
  const root = stateRoot(projectDir)
  if (!existsSync(root)) return []
  const out: ProjectRecord[] = []
  for (const name of readdirSync(root).sort()) {
    const r = readRecord(new StateDir(projectDir, name))
    if (r && r.name === name) out.push(r)
  }
  return out
}

/** The directory whose .pulpo/ records project `name`: the current directory or the nearest above. */
export function findRecorded(name: string, cwd: string): { dir: string; record: ProjectRecord } | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const record = readRecord(new StateDir(dir, name))
    if (record && record.name === name) return { dir, record }
    if (dirname(dir) === dir) return undefined
  }
}

/**
 * A project as its record knows it: enough to observe what runs, show it and stop it in
 * dependency order. Commands that start anything need the file.
 */
export function recordedProject(dir: string, r: ProjectRecord): Project {
  const services = Object.fromEntries(
    Object.entries(r.services).map(([name, s]): [string, Service] => [
      name,
      {
        name,
        kind: s.kind,
        cwd: dir,
        env: {},
        dependsOn: Object.fromEntries(s.dependsOn.filter((d) => d in r.services).map((d) => [d, { condition: 'started', restart: false }])),
        restart: { policy: 'no', backoffMs: 1000 },
        settleMs: 0,
        databases: [],
        stop: s.stop,
        persist: s.persist,
        watch: [],
      },
    ]),
  )
  return {
    name: r.name,
    file: recordFile(dir, r),
    dir,
    environment: r.environment,
    mode: r.mode,
    bind: '127.0.0.1',
    python: 'python3',
    pythonPath: [],
    ...(r.composeFile ? { composeFile: join(dir, r.composeFile) } : {}),
    ...(r.dockerHost ? { dockerHost: r.dockerHost } : {}),
    env: {},
    services,
    datamodels: {},
    operations: {},
    secrets: [],
    fromRecord: true,
  }
}
