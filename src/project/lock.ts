import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { privateDir } from './paths.js'
import { PulpoError } from '../errors.js'
import { isAlive, procStat } from '../util/procfs.js'

interface Holder {
  pid: number
  startTime?: number
  command: string
  since: string
}

/**
 * One `pulpo up`/`down`/`restart` at a time per project: an exclusive lock file naming its holder.
 * A second invocation waits (saying for whom) up to `timeoutMs`; a lock whose holder died (even by
 * SIGKILL) is taken over.
 */
export async function acquireLock(path: string, command: string, opts: { timeoutMs?: number; onWait?: (holder: string) => void; signal?: AbortSignal } = {}): Promise<() => void> {
  const timeoutMs = opts.timeoutMs ?? 120_000
  const deadline = Date.now() + timeoutMs
  const me: Holder = { pid: process.pid, startTime: procStat(process.pid)?.startTime, command, since: new Date().toISOString() }
  privateDir(path.replace(/\/[^/]*$/, ''))
  let told = false
  const began = Date.now()
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600)
      writeSync(fd, JSON.stringify(me))
      closeSync(fd)
      let released = false
      return () => {
        if (released) return
        released = true
        try {
          const holder = JSON.parse(readFileSync(path, 'utf8')) as Holder
          if (holder.pid === me.pid) rmSync(path)
        } catch {}
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    let holder: Holder | undefined
    try {
      holder = JSON.parse(readFileSync(path, 'utf8'))
    } catch {
      // Being written or half-written by a process that died between open and write.
    }
    if (!holder || !isAlive(holder.pid, holder.startTime)) {
      if (holder || Date.now() - began > 1000) rmSync(path, { force: true })
      else await sleep(20)
      continue
    }
    const who = `pulpo ${holder.command} (pid ${holder.pid}, since ${holder.since})`
    // Ctrl-C while waiting: nothing was done yet, and the lock stays the other pulpo's.
    if (opts.signal?.aborted) throw new PulpoError('interrupted', `interrupted while waiting for ${who} to finish: nothing was changed`, { exitCode: 130 })
    if (Date.now() > deadline) throw new PulpoError('locked', `another pulpo is working on this project: ${who}`, { hints: ['wait for it to finish, or stop it'] })
    if (!told) {
      opts.onWait?.(who)
      told = true
    }
    await sleep(100, opts.signal)
  }
}

/** Resolves after `ms`, or as soon as the signal aborts. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
