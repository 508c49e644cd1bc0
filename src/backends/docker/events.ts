import { execa } from 'execa'
import { tethered } from '../../util/tethered.js'

/**
 * The project's container events while `up` waits (`docker events`: create, start, die,
 * health_status), from one long-lived process. They keep each service's progress line current
 * and wake the readiness wait when something changed; polling `docker ps` + `docker inspect`
 * every few hundred milliseconds instead started two Docker CLI processes each time, which cost
 * more CPU than compose itself on a busy machine.
 */
export class ContainerEvents {
  /** Bumped on every event: a waiter compares it before and after looking. */
  generation = 0
  private waiters = new Set<() => void>()
  private child: ReturnType<typeof execa>
  private stop = new AbortController()

  constructor(project: string, onEvent: (service: string, text: string) => void) {
    const format = '{{.Action}}\t{{index .Actor.Attributes "com.docker.compose.service"}}\t{{index .Actor.Attributes "exitCode"}}'
    const filters = ['type=container', `label=com.docker.compose.project=${project}`, 'event=create', 'event=start', 'event=die', 'event=health_status'].flatMap((f) => ['--filter', f])
    this.child = execa(...tethered('docker', ['events', ...filters, '--format', format]), { reject: false, stdin: 'ignore', buffer: false, cancelSignal: this.stop.signal })
    let partial = ''
    this.child.stdout?.on('data', (d: Buffer) => {
      const lines = (partial + d.toString('utf8')).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        const [action = '', service = '', exitCode = ''] = line.split('\t')
        const text = action === 'create' ? 'created' : action === 'start' ? 'running' : action === 'die' ? `exited (${exitCode || '?'})` : action.startsWith('health_status: ') ? `running, ${action.slice('health_status: '.length)}` : ''
        if (service && text) onEvent(service, text)
        this.wake()
      }
    })
    // Should the events process fail, waiters still wake on their timeouts.
    this.child.catch(() => {})
  }

  private wake() {
    this.generation++
    for (const w of this.waiters) w()
    this.waiters.clear()
  }

  /** Resolves at the next event, after `ms`, or when the signal aborts, whichever is first. */
  next(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.waiters.add(done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  close() {
    this.stop.abort()
    this.wake()
  }
}
