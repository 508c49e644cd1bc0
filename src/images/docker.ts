import { execa } from 'execa'
import { PulpoError } from '../errors.js'
import { tethered } from '../util/tethered.js'
import { holdsSecret, SECRET_NAME } from '../util/mask.js'
import { dockerfileOf, type BuildSpec } from './content.js'

/** What a `docker build` or `docker push` said, and whether it worked. */
export interface CliOutcome {
  ok: boolean
  /** stdout and stderr interleaved, as the user would have seen them. */
  output: string
}

/**
 * The Docker CLI pointed at one daemon: `host` is passed as DOCKER_HOST in the CLI's environment
 * (never spliced into a command line); without it the CLI's own default (DOCKER_HOST, context)
 * applies. Every argument is an argv entry.
 */
export class DockerCli {
  constructor(readonly host?: string) {}

  private env(extra: Record<string, string> = {}) {
    return { ...process.env, ...extra, ...(this.host ? { DOCKER_HOST: this.host } : {}) }
  }

  private run(args: string[], onLine?: (line: string) => void, signal?: AbortSignal, env?: Record<string, string>) {
    const child = execa(...tethered('docker', args), { env: this.env(env), extendEnv: false, reject: false, stdin: 'ignore', all: true, cancelSignal: signal })
    if (onLine) {
      let rest = ''
      child.all?.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split(/\r?\n/)
        rest = lines.pop() ?? ''
        for (const l of lines) if (l.trim()) onLine(l)
      })
    }
    return child
  }

  /** The daemon's version; a missing CLI or a daemon that does not answer is the user's problem to fix. */
  async check(): Promise<string> {
    const r = await this.run(['version', '--format', '{{.Server.Version}}']).catch((e: NodeJS.ErrnoException) => ({ code: e.code, exitCode: undefined, all: String(e), stdout: '' }))
    const where = this.host ?? process.env.DOCKER_HOST ?? 'the default Docker daemon'
    if ((r as { code?: string }).code === 'ENOENT' || (r.exitCode === undefined && /ENOENT/.test(String(r.all)))) {
      throw new PulpoError('docker-missing', 'Docker is not installed (no `docker` command on PATH)', { hints: ['install the Docker CLI: pulpo build runs `docker build` and `docker push`'] })
    }
    const version = String(r.stdout).trim()
    if (r.exitCode !== 0 || !version) {
      const why = String(r.all).split('\n').find((l) => l.trim() && !/^Client|^\s/.test(l)) ?? 'no answer'
      throw new PulpoError('docker-down', `the Docker daemon at ${where} does not answer: ${why.trim()}`, { hints: ["check the environment's `docker_host` (or DOCKER_HOST), and that the daemon runs and you may use it"] })
    }
    return version
  }

  /** The image's id when the daemon has it. */
  async imageId(ref: string): Promise<string | undefined> {
    const r = await this.run(['image', 'inspect', '--format', '{{.Id}}', ref])
    return r.exitCode === 0 ? String(r.stdout).trim() : undefined
  }

  /** An image built earlier from the same content (the label `pulpo build` sets), whatever its tag. */
  async imageWithLabels(labels: Record<string, string>): Promise<string | undefined> {
    const filters = Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`])
    const r = await this.run(['image', 'ls', '--quiet', '--no-trunc', ...filters])
    return r.exitCode === 0 ? String(r.stdout).split('\n')[0]?.trim() || undefined : undefined
  }

  /** `docker tag SOURCE TARGET`. */
  async tag(source: string, target: string): Promise<boolean> {
    return (await this.run(['tag', source, target])).exitCode === 0
  }

  /**
   * `docker build`, reporting each line of output as it comes. A build arg holding a secret (its
   * name looks like one, or its value holds one of `secrets` or a URL password) is passed by name
   * (`--build-arg NAME`, the value in the CLI's environment): a command line is visible to every
   * user of the machine.
   */
  async build(spec: BuildSpec, ref: string, labels: Record<string, string>, onLine: (line: string) => void, signal?: AbortSignal, secrets: readonly string[] = []): Promise<CliOutcome> {
    const args = ['build', '--file', dockerfileOf(spec), '--tag', ref]
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries(spec.args ?? {})) {
      if (SECRET_NAME.test(k) || holdsSecret(v, secrets)) {
        env[k] = v
        args.push('--build-arg', k)
      } else args.push('--build-arg', `${k}=${v}`)
    }
    for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`)
    const r = await this.run([...args, spec.context], onLine, signal, env)
    return { ok: r.exitCode === 0, output: String(r.all ?? '') }
  }

  /** `docker push`; the digest the registry gave the manifest, when it worked. */
  async push(ref: string, onLine: (line: string) => void, signal?: AbortSignal): Promise<CliOutcome & { digest?: string }> {
    const r = await this.run(['push', ref], onLine, signal)
    const output = String(r.all ?? '')
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1]
    return { ok: r.exitCode === 0, output, ...(digest ? { digest } : {}) }
  }
}
