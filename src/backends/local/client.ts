import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Readable } from 'node:stream'
import { PulpoError } from '../../errors.js'
import { privateDir, type StateDir } from '../../project/paths.js'
import { connectLines } from './line-socket.js'
import type { Request, Response } from './protocol.js'

/**
 * Sends one request to the project's supervisor; undefined when no supervisor answers. A held
 * start's first answer goes to `held`; the promise gets the final one.
 */
export function request(dirs: StateDir, req: Request, signal?: AbortSignal, held?: () => void): Promise<Response | undefined> {
  return new Promise((resolve) => {
    let settled = false
    // The connection may fail before connectLines returns.
    let close: (() => void) | undefined
    const done = (r: Response | undefined) => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', interrupted)
      resolve(r)
      close?.()
    }
    const interrupted = () => done({ ok: false, error: 'interrupted' })
    close = connectLines(dirs.socket, JSON.stringify(req) + '\n', {
      line: (line) => {
        if (settled) return
        let res: Response
        try {
          res = JSON.parse(line)
        } catch {
          return done(undefined)
        }
        if (res.ok && res.held) held?.()
        else done(res)
      },
      end: () => done(undefined),
    })
    if (settled) close()
    else signal?.addEventListener('abort', interrupted, { once: true })
  })
}

/** Connects to the project's supervisor, starting one (detached, surviving this CLI) if none answers. */
export async function ensureSupervisor(dirs: StateDir): Promise<void> {
  // Loaded here: `status` asks a supervisor and never starts one (child_process is not set up for it).
  const [{ READY_FD, spawnSupervisor }, { takeSpare }] = await Promise.all([import('./launch.js'), import('./spare.js')])
  const spare = takeSpare()
  try {
    // Without its socket there is no supervisor to ask: start one at once.
    if (existsSync(dirs.socket) && (await request(dirs, { op: 'status' }))?.ok) return
    privateDir(dirs.root)
    // The spare `up` started as it began, if it is still there; else one started now.
    const child = spare?.adopt(dirs) ?? spawnSupervisor(dirs)
    if (await listening(child, Date.now() + 15_000)) return
  } finally {
    spare?.release()
  }
  throw new PulpoError('supervisor', 'the pulpo supervisor did not start', { hints: [`see ${dirs.supervisorLog}`] })

  async function listening(child: ChildProcess, deadline: number): Promise<boolean> {
    // It says when it listens (or the pipe closes as it exits): polling for it instead made up wait
    // up to a poll's interval longer than it must.
    const ready = child.stdio[READY_FD] as Readable | null
    if (ready) {
      const said = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), deadline - Date.now())
        ready.once('data', () => (clearTimeout(timer), resolve(true)))
        for (const event of ['close', 'error']) ready.once(event, () => (clearTimeout(timer), resolve(false)))
      })
      ready.destroy()
      // It listened before it said so.
      if (said) return true
    }
    // Else it may still answer; asking a socket nobody listens on costs microseconds.
    for (let wait = 10; Date.now() < deadline; wait = Math.min(wait * 2, 20)) {
      if ((await request(dirs, { op: 'status' }))?.ok) return true
      if (child.exitCode !== null) return false
      await new Promise((r) => setTimeout(r, wait))
    }
    return false
  }
}
