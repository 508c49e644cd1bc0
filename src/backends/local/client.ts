import { spawn } from 'node:child_process'
import { openSync, closeSync } from 'node:fs'
import net from 'node:net'
import { PulpoError } from '../../errors.js'
import { privateDir, type StateDir } from '../../project/paths.js'
import type { Request, Response } from './protocol.js'

/** Sends one request to the project's supervisor; undefined when no supervisor answers. */
export function request(dirs: StateDir, req: Request, signal?: AbortSignal): Promise<Response | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect(dirs.socket)
    let buf = ''
    let settled = false
    const done = (r: Response | undefined) => {
      if (settled) return
      settled = true
      sock.destroy()
      resolve(r)
    }
    sock.setEncoding('utf8')
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'))
    sock.on('data', (d: string) => {
      buf += d
      const nl = buf.indexOf('\n')
      if (nl >= 0) {
        try {
          done(JSON.parse(buf.slice(0, nl)))
        } catch {
          done(undefined)
        }
      }
    })
    sock.on('error', () => done(undefined))
    sock.on('close', () => done(undefined))
    signal?.addEventListener('abort', () => done({ ok: false, error: 'interrupted' }), { once: true })
  })
}

/** How to run pulpo itself: the binary, or node with the dev entry point. */
export function selfCommand(): string[] {
  const script = process.argv[1]
  // In the compiled binary argv[1] is a path inside Bun's embedded filesystem.
  if (!script || script.startsWith('/$bunfs') || script.startsWith('B:/~BUN')) return [process.execPath]
  return [process.execPath, ...process.execArgv, script]
}

/** Connects to the project's supervisor, starting one (detached, surviving this CLI) if none answers. */
export async function ensureSupervisor(dirs: StateDir): Promise<void> {
  if ((await request(dirs, { op: 'status' }))?.ok) return
  privateDir(dirs.root)
  const [file, ...args] = selfCommand()
  const log = openSync(dirs.supervisorLog, 'a', 0o600)
  const child = spawn(file, [...args, 'supervise', '--dir', dirs.projectDir, '--project', dirs.project], { detached: true, stdio: ['ignore', log, log], cwd: dirs.projectDir, env: { ...process.env, PULPO_SUPERVISOR: '1' } })
  closeSync(log)
  child.unref()
  const deadline = Date.now() + 15_000
  // Asking a socket nobody listens on yet costs microseconds: ask often, so up waits no longer
  // than it must for the supervisor (a longer backoff added ~50 ms on average).
  for (let wait = 10; Date.now() < deadline; wait = Math.min(wait * 2, 20)) {
    if ((await request(dirs, { op: 'status' }))?.ok) return
    if (child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, wait))
  }
  throw new PulpoError('supervisor', 'the pulpo supervisor did not start', { hints: [`see ${dirs.supervisorLog}`] })
}
