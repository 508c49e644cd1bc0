import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import chalk from 'chalk'
import { tailLines } from '../../util/tail.js'

const PALETTE = [chalk.cyan, chalk.magenta, chalk.green, chalk.yellow, chalk.blue, chalk.redBright, chalk.cyanBright, chalk.magentaBright]

/**
 * `pulpo logs`: the last `tail` lines of each service's log with a coloured `name |` prefix, as
 * Docker Compose prints them; with `follow`, then every new line as it is written, until aborted.
 */
export async function followLogs(
  sources: { name: string; file: string }[],
  opts: { follow: boolean; tail: number; signal: AbortSignal; write(line: string): void },
): Promise<void> {
  const width = Math.max(...sources.map((s) => s.name.length))
  const prefix = new Map(sources.map((s, i) => [s.name, PALETTE[i % PALETTE.length](s.name.padEnd(width) + ' |')]))
  const offsets = new Map<string, number>()
  for (const s of sources) {
    // One size for both: a line written between the tail and the follow is printed exactly once.
    const size = existsSync(s.file) ? statSync(s.file).size : 0
    for (const line of tailLines(s.file, opts.tail, size)) opts.write(`${prefix.get(s.name)} ${line}`)
    offsets.set(s.name, size)
  }
  if (!opts.follow) return
  const partial = new Map<string, string>()
  while (!opts.signal.aborted) {
    for (const s of sources) {
      let size = 0
      try {
        size = statSync(s.file).size
      } catch {
        continue
      }
      let offset = offsets.get(s.name) ?? 0
      if (size < offset) offset = 0 // truncated or replaced
      if (size === offset) continue
      const fd = openSync(s.file, 'r')
      const buf = Buffer.alloc(size - offset)
      readSync(fd, buf, 0, buf.length, offset)
      closeSync(fd)
      offsets.set(s.name, size)
      const text = (partial.get(s.name) ?? '') + buf.toString('utf8')
      const lines = text.split('\n')
      partial.set(s.name, lines.pop() ?? '')
      for (const line of lines) opts.write(`${prefix.get(s.name)} ${line}`)
    }
    await new Promise((r) => {
      const t = setTimeout(r, 100)
      opts.signal.addEventListener('abort', () => (clearTimeout(t), r(undefined)), { once: true })
    })
  }
}
