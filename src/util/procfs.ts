import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/** What /proc/<pid>/stat says about a process: its state letter, process group and start time. */
export interface ProcStat {
  pid: number
  state: string
  pgid: number
  /** Clock ticks since boot: with the pid, a process identity that survives pid reuse. */
  startTime: number
}

export function procStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { pid, state: fields[0], pgid: Number(fields[2]), startTime: Number(fields[19]) }
  } catch {
    return undefined
  }
}

/** True when this exact process (pid and start time) still runs; a zombie counts as gone. */
export function isAlive(pid: number, startTime?: number): boolean {
  const st = procStat(pid)
  if (!st || st.state === 'Z' || st.state === 'X') return false
  return startTime === undefined || st.startTime === startTime
}

/**
 * True when no live process is left in a process group. Asks the kernel first (signal 0 to the
 * group: one system call); only when something, maybe just a zombie, is still there does it scan
 * /proc, which reads every process's stat and costs milliseconds on a busy machine.
 */
export function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return true
  }
  return groupMembers(pgid).length === 0
}

/** Live (non-zombie) processes of a process group. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const st = procStat(Number(entry))
    if (st && st.pgid === pgid && st.state !== 'Z' && st.state !== 'X') out.push(st.pid)
  }
  return out
}

export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
  } catch {
    return undefined
  }
}

/**
 * Which process listens on a TCP port, found through /proc/net/tcp{,6} and the socket inodes in
 * /proc/<pid>/fd. Undefined when it cannot be seen (another user's process, another namespace).
 */
export function portHolder(port: number): { pid: number; command: string } | undefined {
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10 || cols[3] !== '0A') continue // 0A: LISTEN
      if (parseInt(cols[1].split(':')[1], 16) === port) inodes.add(cols[9])
    }
  }
  if (!inodes.size) return undefined
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${entry}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      let link = ''
      try {
        link = readlinkSync(`/proc/${entry}/fd/${fd}`)
      } catch {
        continue
      }
      const m = /^socket:\[(\d+)\]$/.exec(link)
      if (m && inodes.has(m[1])) return { pid: Number(entry), command: commandLine(Number(entry)) ?? '?' }
    }
  }
  return undefined
}
