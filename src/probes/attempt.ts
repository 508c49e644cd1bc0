import { spawn } from 'node:child_process'
import { closeSync, openSync, readSync, statSync, watch } from 'node:fs'
import net from 'node:net'
import { probeHost as host, urlAuthority, type Probe } from './probe.js'

/** One attempt of a probe: resolves true when the service is ready. Never rejects. */
export type Attempt = (signal: AbortSignal) => Promise<boolean>

/** First wait between attempts; it doubles up to the probe's interval, so readiness is seen fast. */
export const FIRST_PROBE_DELAY_MS = 20

/**
 * What an attempt reads of its service, at each attempt. `env`/`cwd` are the service's and
 * `command` its exec probe's as of now (default: the probe's); `logFile` and `logOffset` say where
 * the service's output for this run starts (for log).
 */
export interface ProbeContext {
  bind: string
  cwd: string
  env: Record<string, string>
  command?: string | string[]
  logFile: string
  logOffset: number
}

/** An attempt function for a probe. */
export function attemptFor(probe: Probe, ctx: ProbeContext): Attempt {
  const perAttempt = Math.max(1000, Math.min(probe.intervalMs * 2, 10_000))
  switch (probe.kind) {
    case 'http':
      return async (signal) => {
        try {
          const res = await fetch(`http://${urlAuthority(host(ctx.bind), probe.port)}${probe.path}`, { redirect: 'manual', signal: AbortSignal.any([signal, AbortSignal.timeout(perAttempt)]) })
          await res.body?.cancel().catch(() => {})
          return res.status >= 200 && res.status < 400
        } catch {
          return false
        }
      }
    case 'tcp':
      return (signal) => tcpOpen(host(ctx.bind), probe.port, perAttempt, signal)
    case 'exec':
      return (signal) => execOk(ctx.command ?? probe.command, ctx.cwd, ctx.env, perAttempt, signal)
    case 'log': {
      const re = new RegExp(probe.pattern)
      const reader = new LogScanner(ctx.logFile, ctx.logOffset)
      return async () => reader.scan(re)
    }
    case 'mongodb':
      return (signal) => mongoPing(host(ctx.bind), probe.port, perAttempt, signal)
    case 'postgres':
      return async () => (await import('../postgres/wire.js')).acceptsConnections(host(ctx.bind), probe.port, perAttempt)
  }
}

export function tcpOpen(h: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: h, port })
    const done = (ok: boolean) => {
      clearTimeout(timer)
      sock.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    sock.once('connect', () => done(true))
    sock.once('error', () => done(false))
    signal?.addEventListener('abort', () => done(false), { once: true })
  })
}

function execOk(command: string | string[], cwd: string, env: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const [file, args] = typeof command === 'string' ? ['/bin/sh', ['-c', command]] : [command[0], command.slice(1)]
    const child = spawn(file, args, { cwd, env, stdio: 'ignore', signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) })
    child.once('error', () => resolve(false))
    child.once('exit', (code) => resolve(code === 0))
  })
}

async function mongoPing(h: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  // Imported here: the driver is large and only mongodb services need it.
  const { MongoClient } = await import('mongodb')
  const client = new MongoClient(`mongodb://${h}:${port}/?directConnection=true`, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs })
  const abort = () => void client.close().catch(() => {})
  signal.addEventListener('abort', abort, { once: true })
  try {
    await client.db('admin').command({ ping: 1 })
    return true
  } catch {
    return false
  } finally {
    signal.removeEventListener('abort', abort)
    await client.close().catch(() => {})
  }
}

/**
 * Wakes a log probe when its file is written to (inotify), so a ready line is seen as it is written
 * rather than at the next poll. Undefined when the file cannot be watched: polling alone then.
 */
export function watchWrites(file: string): { next(): Promise<void>; close(): void } | undefined {
  let wake: (() => void) | undefined
  // A write between two waits is not lost: the next wait returns at once.
  let written = false
  try {
    const watcher = watch(file, () => {
      if (wake) wake()
      else written = true
      wake = undefined
    })
    watcher.on('error', () => {})
    return {
      next: () => {
        if (!written) return new Promise<void>((resolve) => (wake = resolve))
        written = false
        return Promise.resolve()
      },
      close: () => watcher.close(),
    }
  } catch {
    return undefined
  }
}

/** Reads a log file incrementally from an offset and looks for a line matching a pattern. */
class LogScanner {
  private pending = ''
  private matched = false
  constructor(private file: string, private offset: number) {}
  scan(re: RegExp): boolean {
    if (this.matched) return true
    let fd: number
    try {
      if (statSync(this.file).size <= this.offset) return false
      fd = openSync(this.file, 'r')
    } catch {
      return false
    }
    try {
      const buf = Buffer.alloc(64 * 1024)
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset)
        if (n <= 0) break
        this.offset += n
        this.pending += buf.subarray(0, n).toString('utf8')
        const lines = this.pending.split('\n')
        this.pending = lines.pop() ?? ''
        if (lines.some((l) => re.test(l))) return (this.matched = true)
      }
      // A line without its newline yet may already say what we wait for.
      return (this.matched = re.test(this.pending))
    } finally {
      closeSync(fd)
    }
  }
}
