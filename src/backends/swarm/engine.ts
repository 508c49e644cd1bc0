import { execa } from 'execa'
import { PulpoError } from '../../errors.js'
import { tethered } from '../../util/tethered.js'

/** What `docker service inspect` says of a service, the parts pulpo reads. */
export interface SwarmService {
  ID: string
  Spec: ServiceSpec
  PreviousSpec?: ServiceSpec
  UpdateStatus?: { State?: string; StartedAt?: string; CompletedAt?: string; Message?: string }
  JobStatus?: { JobIteration?: { Index?: number }; LastExecution?: string }
}

export interface ServiceSpec {
  Name: string
  Labels?: Record<string, string>
  Mode?: { Replicated?: { Replicas?: number }; ReplicatedJob?: { TotalCompletions?: number }; Global?: object }
  TaskTemplate?: { ContainerSpec?: { Image?: string; Secrets?: { SecretName: string }[] } }
}

/** One task as `docker service ps --format '{{json .}}'` prints it. */
export interface SwarmTask {
  ID: string
  Name: string
  Image: string
  Node: string
  DesiredState: string
  /** `Running 5 seconds ago`: the state is its first word. */
  CurrentState: string
  Error: string
}

export const taskState = (t: SwarmTask) => t.CurrentState.split(' ')[0].toLowerCase()

/**
 * The Docker CLI pointed at a swarm manager: `host` reaches the CLI as DOCKER_HOST in its
 * environment (never on a command line); every argument is an argv entry.
 */
export class SwarmEngine {
  constructor(readonly host?: string) {}

  get where(): string {
    return this.host ?? process.env.DOCKER_HOST ?? 'the default Docker daemon'
  }

  /** `env`: variables for the CLI on top of pulpo's own (the `${PULPO_SECRET_...}` a stack file refers to). */
  run(args: string[], opts: { input?: string; timeoutMs?: number; signal?: AbortSignal; env?: Record<string, string> } = {}) {
    return execa(...tethered('docker', args), {
      env: { ...process.env, ...opts.env, ...(this.host ? { DOCKER_HOST: this.host } : {}) },
      reject: false,
      all: true,
      ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
      ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
      cancelSignal: opts.signal,
    })
  }

  /** Runs and returns stdout; a failure is a PulpoError with the CLI's last line. */
  async ok(args: string[], opts: { input?: string; signal?: AbortSignal } = {}): Promise<string> {
    const r = await this.run(args, opts)
    if (r.exitCode !== 0) throw new PulpoError('swarm', `docker ${args[0]} ${args[1] ?? ''} failed on ${this.where}: ${lastLine(String(r.all ?? r.stderr))}`)
    return String(r.stdout)
  }

  /** The daemon answers, is in a swarm and is a manager: else an error the user can act on. */
  async check(): Promise<void> {
    const r = await this.run(['info', '--format', '{{json .Swarm}}'], { timeoutMs: 30_000 }).catch((e: Error) => ({ exitCode: -1, stdout: '', all: e.message, stderr: e.message, timedOut: false }))
    const hint = "check the environment's docker_host (or DOCKER_HOST): it names the swarm manager, e.g. unix:///var/run/docker.sock or ssh://user@manager"
    if ((r as { timedOut?: boolean }).timedOut) throw new PulpoError('docker-down', `the Docker daemon at ${this.where} does not answer (no reply in 30s)`, { hints: [hint] })
    let swarm: { LocalNodeState?: string; ControlAvailable?: boolean } | undefined
    try {
      swarm = JSON.parse(String(r.stdout).trim())
    } catch {
      swarm = undefined
    }
    if (r.exitCode !== 0 || !swarm) throw new PulpoError('docker-down', `the Docker daemon at ${this.where} does not answer: ${lastLine(String(r.all ?? r.stderr)) || 'no answer'}`, { hints: [hint] })
    if (swarm.LocalNodeState !== 'active') throw new PulpoError('not-swarm', `the Docker daemon at ${this.where} is not part of a swarm (its swarm state is ${swarm.LocalNodeState || 'inactive'})`, { hints: ['point docker_host at a swarm manager, or make one: docker swarm init'] })
    if (!swarm.ControlAvailable) throw new PulpoError('not-manager', `the Docker daemon at ${this.where} is a swarm worker, not a manager: only a manager can deploy`, { hints: ['point docker_host at a manager node (docker node ls on a manager lists them)'] })
  }

  /** The project's services, inspected. */
  async services(project: string, label: string): Promise<SwarmService[]> {
    const ids = (await this.ok(['service', 'ls', '--quiet', '--filter', `label=${label}=${project}`])).split('\n').filter(Boolean)
    if (!ids.length) return []
    const r = await this.run(['service', 'inspect', ...ids])
    // A service removed between the two calls: inspect prints the others and fails.
    try {
      return JSON.parse(String(r.stdout) || '[]') as SwarmService[]
    } catch {
      return []
    }
  }

  /** Tasks of services (by name or id), newest first per service as Docker lists them. */
  async tasks(services: string[]): Promise<SwarmTask[]> {
    if (!services.length) return []
    const r = await this.run(['service', 'ps', '--no-trunc', '--format', '{{json .}}', ...services])
    return String(r.stdout)
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as SwarmTask)
      // The CLI quotes the error text: `"no suitable node (...)"`.
      .map((t) => ({ ...t, Error: t.Error.replace(/^"(.*)"$/, '$1') }))
  }

  /**
   * Tasks' current state and when they entered it (the node's clock), by id: `docker service ps`
   * only says `Running 2 seconds ago`. A task gone meanwhile is missing from the map.
   */
  async taskStates(ids: string[]): Promise<Map<string, { state: string; at: number }>> {
    const out = new Map<string, { state: string; at: number }>()
    if (!ids.length) return out
    const r = await this.run(['inspect', '--type', 'task', '--format', '{{.ID}} {{.Status.State}} {{json .Status.Timestamp}}', ...ids])
    for (const line of String(r.stdout).split('\n')) {
      const [id, state, at] = line.trim().split(' ')
      if (id && state && at) out.set(id, { state, at: Date.parse(JSON.parse(at)) })
    }
    return out
  }

  /** Nodes: hostname → status and availability. */
  async nodes(): Promise<{ ID: string; Hostname: string; Status: string; Availability: string; ManagerStatus: string; Self: boolean }[]> {
    const r = await this.run(['node', 'ls', '--format', '{{json .}}'])
    return String(r.stdout)
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l))
  }
}

export function lastLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? ''
}
