import { procStat } from '../../util/procfs.js'
import type { Managed } from './managed.js'
import type { StateFile } from './protocol.js'
import { inheritedEnv, type ProcessSpec } from './spec.js'

/**
 * The supervisor's state file (.pulpo/<project>/state.json) as written: what a new supervisor
 * adopts. Specs are kept without their environment: it holds the project's secrets and the whole
 * shell pulpo was started from.
 */
export function stateOf(services: Iterable<Managed>): StateFile {
  return {
    version: 1,
    supervisor: { pid: process.pid, startTime: procStat(process.pid)?.startTime },
    services: Object.fromEntries(
      [...services].map((m) => [m.spec.name, { spec: atRest(m.spec), pid: m.pid, startTime: m.startTime, startedAt: m.startedAt, status: m.status === 'stopping' ? 'running' : m.status, health: m.health, exitCode: m.exitCode, restarts: m.restarts }]),
    ),
  }
}

function atRest(spec: ProcessSpec): Omit<ProcessSpec, 'env' | 'envNotKept'> {
  const { env: _env, envNotKept: _n, ...rest } = spec
  return rest
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

/** Why an adopted service that exited is not restarted, for its failure line. */
export const NOT_RESTARTED = '; not restarted: this supervisor took it over without its environment (`pulpo up` starts it again)'
