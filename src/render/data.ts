import chalk from 'chalk'
import type { DataRemoval } from '../backends/backend.js'

/** `down --volumes` said where it deleted data and where it could not. */
export interface DataWords {
  /** What was deleted, and where (stdout). */
  done: string
  /** What was not, with the commands that finish it (stderr). */
  failed: string
}

/** The words of `down --volumes`' data outcomes: each service's data, on which node, what became of it. */
export function renderDataRemovals(data: DataRemoval[]): DataWords {
  const done: string[] = []
  const failed: string[] = []
  for (const d of data) {
    if (d.outcome === 'removed') done.push(`${chalk.green('✔')} ${d.service}: volume ${d.volume} removed on ${d.node}`)
    else if (d.outcome === 'emptied') {
      done.push(`${chalk.green('✔')} ${d.service}: data deleted on ${d.node}; its volume ${d.volume} stays there, empty (pulpo reaches only the manager's daemon)`)
      for (const c of d.commands ?? []) done.push(`  ${chalk.dim('hint:')} ${c}`)
    } else {
      failed.push('', chalk.red.bold(`✖ ${d.service}: its data on ${d.node} was not deleted: ${d.reason}`))
      for (const c of d.commands ?? []) failed.push(`  ${chalk.dim('hint:')} ${chalk.yellow(c)}`)
    }
  }
  return { done: done.join('\n'), failed: failed.join('\n') }
}

export const dataFailed = (data: DataRemoval[] | undefined) => !!data?.some((d) => d.outcome === 'failed')
