import type net from 'node:net'
import { settleLeft, type WaitCondition } from '../../plan/conditions.js'
import { evaluate, lifecycleOf, type Managed } from './managed.js'

/** What a wait comes to: every condition holds, one cannot any more (why, and whose), or it was called off. */
export type WaitOutcome = 'ok' | 'aborted' | { fail: string; name: string }

/**
 * The supervisor's waits on its services' conditions (a CLI's `wait`, a held start's
 * dependencies): each looks again whenever the supervisor says something changed.
 */
export class Waits {
  private listeners = new Set<() => void>()

  /** Tells every wait to look again. */
  notify(): void {
    for (const l of [...this.listeners]) l()
  }

  /**
   * Resolves once every service's condition holds (`ok`), or once one cannot hold any more (why,
   * and which service), or once `signal` aborts.
   */
  until(waits: [Managed, WaitCondition][], signal: AbortSignal): Promise<WaitOutcome> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const finish = (r: WaitOutcome) => {
        clearTimeout(timer)
        this.listeners.delete(check)
        signal.removeEventListener('abort', aborted)
        resolve(r)
      }
      const aborted = () => finish('aborted')
      const check = () => {
        clearTimeout(timer)
        let pending = false
        let recheck = Infinity
        for (const [m, condition] of waits) {
          const r = evaluate(m, condition)
          if (r === 'ok') continue
          if (r !== 'pending') return finish({ ...r, name: m.spec.name })
          pending = true
          // Nothing announces that a run has stayed up long enough: look again when it has.
          const left = settleLeft(lifecycleOf(m))
          if (left > 0) recheck = Math.min(recheck, left)
        }
        if (!pending) return finish('ok')
        if (recheck < Infinity) timer = setTimeout(check, recheck + 5)
      }
      if (signal.aborted) return resolve('aborted')
      signal.addEventListener('abort', aborted, { once: true })
      this.listeners.add(check)
      check()
    })
  }
}

/** Aborts once the client's connection closes. */
export function closed(sock: net.Socket): AbortSignal {
  const c = new AbortController()
  if (sock.closed || sock.destroyed) c.abort()
  else sock.once('close', () => c.abort())
  return c.signal
}
