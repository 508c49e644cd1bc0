import chalk from 'chalk'
import type { Actual, Plan } from '../plan/plan.js'
import { reasonsOf } from './plan.js'
import { count } from '../util/plural.js'

/** One row of `pulpo status`: the contract's JSON shape, plus what a person wants to see. */
export interface StatusRow {
  name: string
  desired: 'running' | 'absent'
  actual: Actual['state']
  health: Actual['health']
  action: string
  reasons: string[]
  pid?: number
  container?: string
  ports: number[]
  since?: string
  uptime_s?: number
  restarts: number
  replicas?: { running: number; desired: number }
  nodes?: string[]
  image?: string
  update?: string
  drift?: boolean
  exit_code?: number | null
  /** Waiting out a restart's backoff: the next run starts in this many seconds. */
  restarting_in_s?: number
  /** Failing again and again without staying up. */
  crash_loop?: { exit_code: number | null; restarts: number }
  /** A job (something waits for it to complete) that ran to completion. */
  completed?: true
  /** Swarm: none of its tasks runs and they keep failing (how many, the newest one's error). */
  failing?: { tasks: number; error: string }
}

/** Desired vs actual for every service, desired or running, with the action `up` would take. */
export function statusRows(desiredNames: string[], actual: Actual[], plan: Plan, now = Date.now(), jobs: ReadonlySet<string> = new Set()): StatusRow[] {
  const byName = new Map(actual.map((a) => [a.name, a]))
  const changes = new Map(plan.steps.map((c) => [c.service, c]))
  const names = [...new Set([...desiredNames, ...actual.map((a) => a.name)])].sort()
  return names.map((name) => {
    const a = byName.get(name)
    const c = changes.get(name)
    const running = a?.state === 'running' || a?.state === 'starting'
    return {
      name,
      desired: desiredNames.includes(name) ? 'running' : 'absent',
      actual: a?.state ?? 'absent',
      health: running ? a!.health : 'unknown',
      action: c?.action ?? 'noop',
      reasons: c ? reasonsOf(c) : [],
      ...(a?.pid ? { pid: a.pid } : {}),
      ...(a?.containerId ? { container: a.containerId } : {}),
      ports: a?.ports ?? [],
      ...(a?.since ? { since: a.since, uptime_s: Math.max(0, Math.round((now - Date.parse(a.since)) / 1000)) } : {}),
      restarts: a?.restarts ?? 0,
      ...(a?.swarm ?? {}),
      ...(a?.exitCode !== undefined && !running ? { exit_code: a.exitCode } : {}),
      ...(a?.restartingInMs !== undefined ? { restarting_in_s: Math.ceil(a.restartingInMs / 1000) } : {}),
      ...(a?.crashLoop ? { crash_loop: { exit_code: a.crashLoop.exitCode, restarts: a.crashLoop.restarts } } : {}),
      ...(jobs.has(name) && a?.state === 'exited' && a.exitCode === 0 ? { completed: true as const } : {}),
    }
  })
}

const STATE_COLOUR: Record<string, (s: string) => string> = { running: chalk.green, starting: chalk.yellow, exited: chalk.red, stopped: chalk.dim, absent: chalk.dim }
const HEALTH_COLOUR: Record<string, (s: string) => string> = { healthy: chalk.green, unhealthy: chalk.red, unknown: chalk.dim }
const ACTION_COLOUR: Record<string, (s: string) => string> = { noop: chalk.dim, create: chalk.green, update: chalk.yellow, delete: chalk.red }

/** What runs, in a person's words: a crash loop, a restart's backoff and a finished job said as such. */
function actualWords(r: StatusRow): string {
  if (r.crash_loop) return chalk.red(`crash loop (${r.crash_loop.exit_code === null ? 'killed' : `exit ${r.crash_loop.exit_code}`}, ${count(r.crash_loop.restarts, 'restart')})`)
  if (r.restarting_in_s !== undefined) return chalk.yellow(`restarting (in ${r.restarting_in_s}s)`)
  if (r.completed) return chalk.green('completed')
  if (r.failing) return chalk.red(`failing (${count(r.failing.tasks, 'task')})`)
  return STATE_COLOUR[r.actual](r.actual + (r.actual === 'exited' && r.exit_code !== undefined && r.exit_code !== null ? ` (${r.exit_code})` : ''))
}

/** Services that are not well although nothing is pending: `worker (crash loop)`, `web (No such image: ...)`. */
export function failing(rows: StatusRow[]): string[] {
  return rows.flatMap((r) => (r.crash_loop ? [`${r.name} (crash loop)`] : r.failing ? [`${r.name} (${r.failing.error})`] : []))
}

export function uptime(s: number | undefined): string {
  if (s === undefined) return '-'
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
}

/** The status table: a line per service, coloured, drift called out in the ACTION column. */
export function renderStatus(rows: StatusRow[], header: string, showContainer = false): string {
  // A cluster's services are replicas on nodes, not a process: that column says so instead.
  const cluster = rows.some((r) => r.replicas)
  const head = ['SERVICE', 'DESIRED', 'ACTUAL', 'HEALTH', cluster ? 'REPLICAS' : showContainer ? 'CONTAINER' : 'PID', 'PORTS', 'UPTIME', 'RESTARTS', 'ACTION']
  const cells = rows.map((r) => [
    r.name,
    r.completed ? 'completed' : r.desired,
    actualWords(r),
    HEALTH_COLOUR[r.health](r.health),
    (cluster ? (r.replicas ? `${r.replicas.running}/${r.replicas.desired}${r.nodes?.length ? ` on ${r.nodes.join(',')}` : ''}${r.update && r.update !== 'completed' ? ` (${r.update.replace('_', ' ')})` : ''}${r.drift ? chalk.yellow(' drift') : ''}` : undefined) : showContainer ? r.container?.slice(0, 12) : r.pid?.toString()) ?? '-',
    r.ports.join(',') || '-',
    uptime(r.uptime_s),
    String(r.restarts),
    ACTION_COLOUR[r.action](r.action === 'noop' ? '-' : `${r.action}: ${r.reasons.join('; ')}`),
  ])
  const width = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => width(c[i]))))
  const line = (c: string[]) => c.map((s, i) => (i === c.length - 1 ? s : s + ' '.repeat(widths[i] - width(s)))).join('  ')
  return [header, '', chalk.bold(line(head)), ...cells.map(line)].join('\n')
}

const MODEL_COLOUR: Record<string, (s: string) => string> = { 'in-sync': chalk.green, drifted: chalk.yellow, unknown: chalk.dim }

/** Each mongodb service's server version, and the state of each of its datamodels. */
export function renderDatabases(
  servers: { service: string; version?: string; error?: string }[],
  models: { name: string; service: string; namespace: string; state: string; changes: string[]; warnings: string[] }[],
): string {
  const lines: string[] = []
  for (const s of servers) {
    lines.push(`${chalk.bold(s.service)}: ${s.version ? `MongoDB ${s.version}` : s.error ? chalk.red(`not answering (${s.error})`) : chalk.dim('not running')}`)
    for (const m of models.filter((x) => x.service === s.service)) {
      lines.push(`  datamodel ${m.name} (${m.namespace}): ${MODEL_COLOUR[m.state](m.state === 'in-sync' ? 'in sync' : m.state)}`)
      for (const c of m.changes) lines.push(chalk.yellow(`    ~ ${c}`))
      for (const w of m.warnings) lines.push(chalk.dim(`    ! ${w}`))
    }
  }
  return lines.join('\n')
}

const DATABASE_COLOUR: Record<string, (s: string) => string> = { present: chalk.green, missing: chalk.yellow, unknown: chalk.dim }

/** Each postgres service's server version, and whether each of its databases exists. */
export function renderPostgres(servers: { service: string; version?: string; error?: string }[], databases: { name: string; service: string; state: string }[]): string {
  const lines: string[] = []
  for (const s of servers) {
    lines.push(`${chalk.bold(s.service)}: ${s.version ? `PostgreSQL ${s.version}` : s.error ? chalk.red(`not answering (${s.error})`) : chalk.dim('not running')}`)
    for (const d of databases.filter((x) => x.service === s.service)) lines.push(`  database ${d.name}: ${DATABASE_COLOUR[d.state](d.state === 'missing' ? 'missing (pulpo up creates it)' : d.state)}`)
  }
  return lines.join('\n')
}
