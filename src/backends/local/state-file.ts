import { existsSync, readFileSync, renameSync } from 'node:fs'
import type { StateDir } from '../../project/paths.js'
import { procStat } from '../../util/procfs.js'
import type { Managed } from './managed.js'
import type { StateFile } from './protocol.js'
import { mask } from '../../util/mask.js'
import { inheritedEnv, type ProcessSpec } from './spec.js'

/**
 * The supervisor's state file (.pulpo/<project>/state.json) as written: what a new supervisor
 * adopts. Specs are kept without their environment (it holds the project's secrets and the whole
 * shell pulpo was started from), and with `***` for a secret (or a URL's password) in their
 * command or exec probe: what runs from it is only stopped or probed until `up` hands the full
 * spec back.
 */
export function stateOf(services: Iterable<Managed>): StateFile {
  return {
    version: 1,
    supervisor: { pid: process.pid, startTime: procStat(process.pid)?.startTime },
    services: Object.fromEntries(
      [...services].map((m) => [m.spec.name, { spec: atRest(m.spec), pid: m.pid, startTime: m.startTime, startedAt: m.startedAt, status: m.status === 'stopping' ? 'running' : m.status, health: m.health, exitCode: m.exitCode, restarts: m.restarts, logOffset: m.logOffset }]),
    ),
  }
}

function atRest(spec: ProcessSpec): Omit<ProcessSpec, 'env' | 'envNotKept' | 'secrets'> {
  const { env: _env, envNotKept: _n, secrets = [], ...rest } = spec
  const masked = <T extends string | string[]>(c: T): T => (typeof c === 'string' ? mask(c, secrets) : c.map((a) => mask(a, secrets))) as T
  return { ...rest, command: masked(rest.command), ...(rest.probe?.kind === 'exec' ? { probe: { ...rest.probe, command: masked(rest.probe.command) } } : {}) }
}

/**
 * The spec of a service adopted from the state file: until `up` hands its environment back
 * (refresh), it runs on and is probed with the supervisor's own environment, and is not
 * restarted if it exits (it would start without its variables).
 */
export function adoptedSpec(spec: Omit<ProcessSpec, 'env'>): ProcessSpec {
  return { ...spec, env: inheritedEnv(), envNotKept: true }
}

/** Gives adopted services their full spec back when `up` sends the same configuration. */
export function refreshSpecs(services: Map<string, Managed>, specs: ProcessSpec[]): void {
  for (const spec of specs) {
    const m = services.get(spec.name)
    if (m && m.spec.hash === spec.hash) m.spec = spec
  }
}

/**
 * The state file, or undefined when there is none; a file that is there but cannot be read (cut
 * short, edited by hand) is an error saying why: what it recorded — processes that may still run —
 * is not to be taken for nothing.
 */
export function readStateFile(dirs: StateDir): StateFile | undefined {
  let text: string
  try {
    text = readFileSync(dirs.state, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new UnreadableState(dirs, (e as Error).message)
  }
  let state: StateFile
  try {
    state = JSON.parse(text) as StateFile
  } catch (e) {
    throw new UnreadableState(dirs, (e as Error).message)
  }
  // Its shape as far as it is read: a mapping of services, each with its spec, and a pid as pulpo
  // records one (a process of its own, never init): a pid is what `down` signals, with its group.
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
  const process = (s: Record<string, unknown>) => s.pid === undefined || (Number.isInteger(s.pid) && (s.pid as number) > 1 && (s.startTime === undefined || typeof s.startTime === 'number'))
  const services = isObject(state) ? state.services : undefined
  if (!isObject(state) || (services !== undefined && (!isObject(services) || !Object.values(services).every((s) => isObject(s) && isObject(s.spec) && process(s))))) throw new UnreadableState(dirs, 'not a pulpo state file')
  return state
}

export class UnreadableState extends Error {
  constructor(dirs: StateDir, why: string) {
    super(`${dirs.state} cannot be read (${why})`)
  }
}

/**
 * A supervisor that cannot read the state file starts without it, and keeps it beside as
 * `state.json.unreadable` (its next write would replace it) for `status` to point at. Says where.
 */
export function keptUnreadable(dirs: StateDir): string {
  try {
    renameSync(dirs.state, dirs.unreadableState)
    return `kept as ${dirs.unreadableState}`
  } catch (e) {
    return `and could not keep it (${(e as Error).message})`
  }
}

/** The state file a starting supervisor adopts; one it cannot read is logged and kept aside. */
export function stateToAdopt(dirs: StateDir): StateFile | undefined {
  try {
    return readStateFile(dirs)
  } catch (e) {
    console.error(`${(e as Error).message}: starting without it; ${keptUnreadable(dirs)}`)
    return undefined
  }
}

/** What `status` says while an unreadable state file is kept (keptUnreadable), else nothing. */
export function unreadableNote(dirs: StateDir): string[] {
  return existsSync(dirs.unreadableState) ? [`pulpo could not read its state file and kept it as ${dirs.unreadableState}: services it recorded may still run unseen (ps shows them); delete it once they are stopped`] : []
}

/** Why an adopted service that exited is not restarted, for its failure line. */
export const NOT_RESTARTED = '; not restarted: this supervisor took it over without its environment (`pulpo up` starts it again)'
