import { groupGone } from '../../util/procfs.js'

/**
 * When a service's main process is gone, what it left behind in its process group (a shell's
 * children, workers) goes too: TERM, then KILL for whatever is still there a moment later.
 */
export function reapGroup(pgid: number) {
  if (groupGone(pgid)) return
  kill(-pgid, 'SIGTERM')
  setTimeout(() => {
    if (!groupGone(pgid)) kill(-pgid, 'SIGKILL')
  }, 2000).unref()
}

export function kill(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(pid, signal)
  } catch {
    // Already gone.
  }
}

/** Waits `ms`, or less when aborted or when `early` settles first. */
export function sleep(ms: number, signal?: AbortSignal, early?: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
    early?.then(() => (clearTimeout(t), resolve()))
  })
}
