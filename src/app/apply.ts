import chalk from 'chalk'
import type { Backend, ServiceResult } from '../backends/backend.js'
import { execute, type ExecuteOptions } from './executor.js'
import { stateDirOf } from '../project/paths.js'
import { acquireLock } from '../project/lock.js'
import type { Project } from '../config/types.js'
import type { Plan } from '../plan/plan.js'
import { ServiceProgress } from '../render/progress.js'
import { envDuration } from '../util/duration.js'
import { count } from '../util/plural.js'

/**
 * Runs `work` holding the project's lock, with Ctrl-C (or SIGTERM) turned into an abort signal
 * from the start of the wait for the lock: interrupted while another pulpo holds it, this one
 * says so and exits 130 (killed by the signal, it ended without a word).
 */
export async function withLock<T>(project: Project, command: string, log: (s: string) => void, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  // PULPO_LOCK_TIMEOUT (30s, or a bare number of seconds) bounds the wait for another pulpo's lock.
  const timeoutMs = envDuration('PULPO_LOCK_TIMEOUT', 120_000)
  const abort = new AbortController()
  const onInt = () => {
    if (abort.signal.aborted) process.exit(130)
    abort.abort()
    process.exitCode = 130
  }
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onInt)
  try {
    const release = await acquireLock(stateDirOf(project).lock, command, { timeoutMs, signal: abort.signal, onWait: (who) => log(chalk.dim(`waiting for ${who} to finish...`)) })
    try {
      return await work(abort.signal)
    } finally {
      release()
    }
  } finally {
    process.off('SIGINT', onInt)
    process.off('SIGTERM', onInt)
  }
}

/** Applies a plan with progress; the results per service. */
export async function applyPlan(project: Project, backend: Backend, plan: Plan, opts: { json: boolean; signal: AbortSignal; resources?: ExecuteOptions['resources'] }): Promise<ServiceResult[]> {
  const shown = plan.steps.filter((c) => c.action !== 'noop').map((c) => c.service)
  const progress = new ServiceProgress(shown, { silent: opts.json, verb: 'ready', secrets: project.secrets })
  let results: ServiceResult[] = []
  try {
    results = await execute(project, backend, plan, { progress, signal: opts.signal, resources: opts.resources })
  } finally {
    await progress.finish(results.filter((r) => shown.includes(r.service)))
  }
  return results
}

/** What went wrong, for a person: each failed service with its reason and last log lines. */
export function renderFailures(results: ServiceResult[]): string {
  const lines: string[] = []
  for (const r of results) {
    if (r.status !== 'failed') continue
    lines.push('', chalk.red.bold(`✖ ${r.service}: ${r.reason}`))
    for (const h of r.hints ?? []) lines.push(`  ${chalk.dim('hint:')} ${chalk.yellow(h)}`)
    if (r.logs.length) {
      lines.push(chalk.dim(`  last ${count(r.logs.length, 'log line')} of ${r.service}:`))
      for (const l of r.logs) lines.push(chalk.dim('  │ ') + l)
    } else if (r.started !== false) lines.push(chalk.dim(`  (${r.service} wrote nothing to its log)`))
  }
  const skipped = results.filter((r) => r.status === 'skipped')
  if (skipped.length) lines.push('', chalk.yellow(`not started: ${skipped.map((r) => `${r.service} (${r.status === 'skipped' ? r.reason.replace(/^not started: /, '') : ''})`).join(', ')}`))
  return lines.join('\n')
}

export const failed = (results: ServiceResult[]) => results.some((r) => r.status !== 'done')
