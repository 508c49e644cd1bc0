import { spawn, type StdioOptions } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import net from 'node:net'
import type { Readable } from 'node:stream'
import { PulpoError } from '../../errors.js'
import { privateDir, type StateDir } from '../../project/paths.js'
import type { Request, Response } from './protocol.js'

/**
 * Sends one request to the project's supervisor; undefined when no supervisor answers. A held
 * start's first answer goes to `held`; the promise gets the final one.
 */
export function request(dirs: StateDir, req: Request, signal?: AbortSignal, held?: () => void): Promise<Response | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect(dirs.socket)
    let buf = ''
    let settled = false
    const done = (r: Response | undefined) => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', interrupted)
      sock.destroy()
      resolve(r)
    }
    const interrupted = () => done({ ok: false, error: 'interrupted' })
    sock.setEncoding('utf8')
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'))
    sock.on('data', (d: string) => {
      buf += d
      for (let nl = buf.indexOf('\n'); nl >= 0 && !settled; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        let res: Response
        try {
          res = JSON.parse(line)
        } catch {
          return done(undefined)
        }
        if (res.ok && res.held) held?.()
        else done(res)
      }
    })
    sock.on('error', () => done(undefined))
    sock.on('close', () => done(undefined))
    signal?.addEventListener('abort', interrupted, { once: true })
  })
}

/** How to run pulpo itself: the binary, or node with the dev entry point. */
export function selfCommand(): string[] {
  const script = process.argv[1]
  // In the compiled binary argv[1] is a path inside Bun's embedded filesystem.
  if (!script || script.startsWith('/$bunfs') || script.startsWith('B:/~BUN')) return [process.execPath]
  return [process.execPath, ...process.execArgv, script]
}

/** The descriptor on which a supervisor that `up` starts says that it listens (serve.ts). */
const READY_FD = 3

/** Connects to the project's supervisor, starting one (detached, surviving this CLI) if none answers. */
export async function ensureSupervisor(dirs: StateDir): Promise<void> {
  // Without its socket there is no supervisor to ask: start one at once.
  if (existsSync(dirs.socket) && (await request(dirs, { op: 'status' }))?.ok) return
  privateDir(dirs.root)
  const [file, ...args] = selfCommand()
  const log = openSync(dirs.supervisorLog, 'a', 0o600)
  const stdio: StdioOptions = ['ignore', log, log, 'pipe']
  const child = spawn(file, [...args, 'supervise', '--dir', dirs.projectDir, '--project', dirs.project], { detached: true, stdio, cwd: dirs.projectDir, env: { ...process.env, PULPO_SUPERVISOR: '1', PULPO_SUPERVISOR_READY_FD: String(READY_FD) } })
  closeSync(log)
  child.unref()
  const deadline = Date.now() + 15_000
  // It says when it listens (or the pipe closes as it exits): polling for it instead made up wait
  // up to a poll's interval longer than it must.
  const ready = child.stdio[READY_FD] as Readable | null
  if (ready) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, deadline - Date.now())
      for (const event of ['data', 'close', 'error']) ready.once(event, () => (clearTimeout(timer), resolve()))
    })
    ready.destroy()
  }
  // Then it answers; should it not yet, asking a socket nobody listens on costs microseconds.
  for (let wait = 10; Date.now() < deadline; wait = Math.min(wait * 2, 20)) {
    if ((await request(dirs, { op: 'status' }))?.ok) return
    if (child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, wait))
  }
  throw new PulpoError('supervisor', 'the pulpo supervisor did not start', { hints: [`see ${dirs.supervisorLog}`] })
}
