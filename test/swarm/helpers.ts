/**
 * Shared by the swarm tests: the multi-node cluster of scripts/setup-swarm.sh (a dockerd per
 * network namespace, node1 the manager, a registry on the cluster's bridge).
 *
 * scripts/test.sh runs the setup and exports its PULPO_SWARM_* variables; a test file run on its
 * own runs the (idempotent) setup itself, so `node --test test/swarm/X.test.ts` works alone too.
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { execa } from 'execa'
import { BIN, ROOT, type Run } from '../cli/helpers.js'

/** What scripts/setup-swarm.sh exports. */
export interface Swarm {
  /** The manager's socket, `unix:///...sock`: what DOCKER_HOST or `docker_host` names. */
  manager: string
  /** Every node's socket, the manager first. */
  nodes: string[]
  /** Every node's address on the cluster's bridge (reachable from the host), in the same order. */
  addrs: string[]
  /** host:port of the plain-HTTP registry every node pulls from (and trusts). */
  registry: string
  /** host:port of a registry in read-only mode: it refuses every push. */
  refusingRegistry: string
  /** local/python:bookworm as pushed into the registry. */
  baseImage: string
}

const VARS = ['PULPO_SWARM_MANAGER', 'PULPO_SWARM_NODES', 'PULPO_SWARM_ADDRS', 'PULPO_SWARM_REGISTRY', 'PULPO_SWARM_REFUSING_REGISTRY', 'PULPO_SWARM_BASE_IMAGE']

function exported(): Record<string, string> {
  if (VARS.every((v) => process.env[v])) return process.env as Record<string, string>
  const out = setupSwarm()
  const vars: Record<string, string> = {}
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) vars[m[1]] = m[2]
  return vars
}

/** Runs scripts/setup-swarm.sh with `args`; its progress goes to the test's stderr. */
export function setupSwarm(...args: string[]): string {
  return execFileSync(join(ROOT, 'scripts', 'setup-swarm.sh'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 })
}

let cached: Swarm | undefined
/** The cluster, set up if need be. */
export function swarm(): Swarm {
  if (cached) return cached
  const v = exported()
  cached = {
    manager: v.PULPO_SWARM_MANAGER,
    nodes: v.PULPO_SWARM_NODES.split(','),
    addrs: v.PULPO_SWARM_ADDRS.split(','),
    registry: v.PULPO_SWARM_REGISTRY,
    refusingRegistry: v.PULPO_SWARM_REFUSING_REGISTRY,
    baseImage: v.PULPO_SWARM_BASE_IMAGE,
  }
  return cached
}

/** Runs the Docker CLI against one node (its socket); throws with the CLI's stderr on failure. */
export async function dockerOn(host: string, ...args: string[]): Promise<string> {
  const r = await execa('docker', args, { env: { DOCKER_HOST: host }, reject: false, timeout: 120_000 })
  if (r.exitCode !== 0) throw new Error(`docker ${args.join(' ')} (on ${host}) exited ${r.exitCode}: ${r.stderr}`)
  return String(r.stdout)
}

/** JSON lines (`--format '{{json .}}'`) parsed. */
export const jsonLines = <T = Record<string, string>>(text: string): T[] =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T)

/**
 * Polls `probe` until it returns a value (not undefined), for at most `limitMs`. The limit only
 * bounds how long a broken cluster takes to fail; no test asserts a duration.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 180_000): Promise<T> {
  const until = Date.now() + limitMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

/** A name of its own for each test's services and networks. */
export const uniqueName = (what: string) => `pt-${what}-${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`

/**
 * Runs the built binary with PATH and HOME only, plus what the test gives. The generous timeout
 * bounds how long a broken daemon takes to fail a test; it asserts nothing.
 */
export async function pulpo(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<Run> {
  const r = await execa(BIN, args, {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...opts.env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 300_000,
  })
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }
}
