/**
 * The Docker Engine API over this machine's socket, for what pulpo only reads (`status`, `plan`):
 * one request costs the daemon's answer, where a Docker CLI process costs tens of milliseconds to
 * start (hundreds on a busy machine). Used only where the Docker CLI would talk to that same
 * socket; anywhere else (a remote DOCKER_HOST, a context, no `docker` on PATH) pulpo goes through
 * the CLI as before, and so does any request that fails here, so errors read as they always did.
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { onPath } from '../../util/on-path.js'

const DEFAULT_SOCKET = '/var/run/docker.sock'
const TIMEOUT_MS = 10_000

/**
 * The socket the Docker CLI would use, when it is a local one pulpo can ask directly: DOCKER_HOST
 * unset or `unix://`, no context chosen (DOCKER_CONTEXT, or `currentContext` in the CLI's
 * config), and a `docker` command on PATH (without one, the CLI's "not installed" error stands).
 */
export function localSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.DOCKER_HOST
  if (host !== undefined && host !== '' && !host.startsWith('unix://')) return undefined
  if (env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== 'default') return undefined
  if (!host && chosenContext(env)) return undefined
  if (!onPath('docker', env.PATH ?? '')) return undefined
  return host ? host.slice('unix://'.length) : DEFAULT_SOCKET
}

/** A context other than the default one named in the Docker CLI's config.json (DOCKER_HOST overrides it). */
function chosenContext(env: NodeJS.ProcessEnv): boolean {
  try {
    const config = JSON.parse(readFileSync(join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json'), 'utf8')) as { currentContext?: unknown }
    return typeof config.currentContext === 'string' && config.currentContext !== '' && config.currentContext !== 'default'
  } catch {
    return false
  }
}

/** GET `path` from the Engine API at `socket`: the parsed JSON of a 200 answer; anything else rejects. */
export async function engineGet<T>(socket: string, path: string): Promise<T> {
  // Imported here: a built-in imported at the top is loaded at every start of the binary
  // (node:http: ~3 ms of CPU on `pulpo --version`).
  const { request } = await import('node:http')
  return new Promise((resolve, reject) => {
    // agent: false — one connection per request, closed after it: nothing keeps the process alive.
    const req = request({ socketPath: socket, path, method: 'GET', agent: false, headers: { Host: 'docker' }, timeout: TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`Docker Engine API ${path}: HTTP ${res.statusCode}`))
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T)
        } catch (e) {
          reject(e)
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error(`Docker Engine API ${path}: no answer in ${TIMEOUT_MS / 1000} s`)))
    req.on('error', reject)
    req.end()
  })
}
