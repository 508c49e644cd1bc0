import { spawnSync } from 'node:child_process'
import { onPath } from './on-path.js'

let setpriv: string | undefined

/**
 * A command line whose process dies with pulpo, even when pulpo is killed with SIGKILL (which no
 * handler sees): a `docker compose up` building an image went on building and creating containers
 * for an `up` that no longer existed, and `docker events` waited for its next event. On Linux,
 * util-linux's `setpriv --pdeathsig KILL` has the kernel kill the process when its parent dies
 * (the setting survives exec: setpriv becomes the command, with the same pid), and the Docker CLI
 * passes the same signal on to a plugin it runs (compose v2). Without setpriv (or one too old for
 * --pdeathsig), or when the command is not on PATH (its "not installed" error must stay ENOENT),
 * the command runs as it is.
 * `signal` TERM is for a child that has something to record as it goes (a Prefect flow run marks
 * itself crashed on SIGTERM; on SIGKILL it would stay "running" on the server).
 */
export function tethered(file: string, args: string[], signal: 'KILL' | 'TERM' = 'KILL'): [string, string[]] {
  setpriv ??= (process.platform === 'linux' && withPdeathsig(onPath('setpriv'))) || ''
  if (!setpriv || !onPath(file)) return [file, args]
  return [setpriv, ['--pdeathsig', signal, '--', file, ...args]]
}

/**
 * setpriv itself when it knows --pdeathsig (util-linux 2.33 and later; older ones and BusyBox's
 * refuse the option, and every command given through them would fail), else undefined.
 */
function withPdeathsig(file: string | undefined): string | undefined {
  if (!file) return undefined
  const r = spawnSync(file, ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5_000 })
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.includes('--pdeathsig') ? file : undefined
}
