import { execa, type Options } from 'execa'
import { PulpoError } from '../../errors.js'
import { tethered } from '../../util/tethered.js'

/** How Docker Compose is run here: the v2 plugin (`docker compose`) or v1 (`docker-compose`). */
export interface ComposeCli {
  file: string
  args: string[]
  version: string
  v2: boolean
}

let cached: Promise<ComposeCli> | undefined
let configuredHost: string | undefined

/**
 * Points every Docker and Compose process of this pulpo at the environment's docker_host: one
 * pulpo process serves one environment, and DOCKER_HOST reaches them all without a command line.
 */
export function useDockerHost(host: string) {
  configuredHost = host
  process.env.DOCKER_HOST = host
}

const run = (file: string, args: string[], opts: Options = {}) => execa(...tethered(file, args), { reject: false, stdin: 'ignore', ...opts })

/**
 * Finds Docker Compose (`PULPO_COMPOSE=v1|v2` picks one when both exist) and checks that the
 * daemon answers. Both failures are errors a user can act on, with a hint.
 */
export function composeCli(): Promise<ComposeCli> {
  cached ??= detect()
  return cached
}

async function detect(): Promise<ComposeCli> {
  const want = process.env.PULPO_COMPOSE
  // The daemon check and the v2 probe run side by side: each starts a Docker CLI (v2 two more
  // processes for the plugin), and `pulpo up` waits for both before compose starts anything.
  const probeV2 = want === 'v1' ? Promise.resolve(undefined) : run('docker', ['compose', 'version', '--short']).catch(() => undefined)
  const docker = await run('docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 20_000 }).catch((e) => ({ failed: true, exitCode: undefined, stderr: String(e), stdout: '', code: (e as NodeJS.ErrnoException).code }))
  if ((docker as { code?: string }).code === 'ENOENT' || /ENOENT|not found/.test(String((docker as { stderr?: unknown }).stderr ?? '')) && docker.exitCode === undefined) {
    throw new PulpoError('docker-missing', 'Docker is not installed (no `docker` command on PATH)', { hints: ['install Docker (Debian: apt-get install docker.io docker-compose), or use an environment with mode: local'] })
  }
  if (docker.failed || !String(docker.stdout).trim()) {
    const why = String(docker.stderr).split('\n').find((l) => l.trim()) ?? 'no answer'
    // A daemon named in pulpo.yaml is the user's remote server; otherwise it is this machine's own.
    if (configuredHost) throw new PulpoError('docker-down', `the Docker daemon at ${configuredHost} does not answer: ${why.trim()}`, { hints: ["check the environment's docker_host: the daemon runs there and you may use it"] })
    throw new PulpoError('docker-down', `the Docker daemon does not answer: ${why.trim()}`, { hints: ['start it (systemctl start docker, or run dockerd), and check that you may use its socket', ...(process.env.DOCKER_HOST ? [`DOCKER_HOST is ${process.env.DOCKER_HOST}`] : [])] })
  }
  const v2 = await probeV2
  if (v2 && !v2.failed && String(v2.stdout).trim()) return { file: 'docker', args: ['compose'], version: String(v2.stdout).trim(), v2: true }
  const v1 = want === 'v2' ? undefined : await run('docker-compose', ['version', '--short']).catch(() => undefined)
  if (v1 && !v1.failed && String(v1.stdout).trim()) return { file: 'docker-compose', args: [], version: String(v1.stdout).trim(), v2: false }
  throw new PulpoError('compose-missing', `Docker Compose is not installed${want ? ` (PULPO_COMPOSE=${want})` : ''}`, { hints: ['install the compose plugin (`docker compose`) or docker-compose'] })
}

/** Runs `docker compose -p PROJECT -f FILE ARGS...`; secrets reach the file's ${...} through the environment. */
export async function compose(project: string, file: string, args: string[], opts: { env?: Record<string, string>; stdio?: 'inherit' | 'pipe'; signal?: AbortSignal } = {}) {
  const cli = await composeCli()
  return run(cli.file, [...cli.args, '-p', project, '-f', file, ...args], {
    env: { ...process.env, ...opts.env },
    ...(opts.stdio === 'inherit' ? { stdout: 'inherit', stderr: 'inherit' } : {}),
    cancelSignal: opts.signal,
    all: opts.stdio !== 'inherit',
  })
}

export const docker = (args: string[], opts: Options = {}) => run('docker', args, opts)
