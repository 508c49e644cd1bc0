import { closeSync, fstatSync, openSync, readSync } from 'node:fs'

/**
 * The last `n` lines of a file (reading only its end, or up to `end`), none before `from`; [] when
 * it does not exist.
 */
export function tailLines(file: string, n: number, end?: number, from = 0): string[] {
  if (n <= 0) return []
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return []
  }
  try {
    // `end`: read only up to there (what a follower then reads on from), not what came since.
    const size = end === undefined ? fstatSync(fd).size : Math.min(end, fstatSync(fd).size)
    let start = size
    let text = ''
    const chunk = 64 * 1024
    // A file shorter than `from` was truncated or replaced: all of it is new.
    const first = from <= size ? from : 0
    while (start > first) {
      const len = Math.min(chunk, start - first)
      start -= len
      const buf = Buffer.alloc(len)
      readSync(fd, buf, 0, len, start)
      text = buf.toString('utf8') + text
      if (text.split('\n').length > n + 1) break
    }
    const lines = text.split('\n')
    if (lines[lines.length - 1] === '') lines.pop()
    return lines.slice(-n)
  } finally {
    closeSync(fd)
  }
}
