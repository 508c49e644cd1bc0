import { existsSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { validateConfig, type Validation } from '../config/load.js'
import type { Project } from '../config/types.js'
import type { ProjectPlan } from './plan.js'
import { InvalidConfigError, PulpoError } from '../errors.js'
import { findRecorded, readRecord, recordedProject, recordFile, recordsIn, type ProjectRecord } from '../project/record.js'
import { stateDirOf } from '../project/paths.js'
import { count } from '../util/plural.js'

/** Commands that act on what runs; `status` and `down` may act on it from the record alone. */
export type TargetCommand = 'up' | 'down' | 'restart' | 'status' | 'plan' | 'logs' | 'prefect'

export interface Target {
  project: Project
  /** Worth telling the user: the file is broken and the record speaks for it, the environment switches. */
  notes: string[]
  /** On `up -e X` while another environment of the project runs: what runs now. */
  previous?: Project
}

export interface TargetFlags {
  config?: string
  env?: string
  project?: string
}

const fromRecordOnly: readonly TargetCommand[] = ['status', 'down']

/**
 * Which project a command acts on, and in which environment:
 * - `-p NAME` finds .pulpo/NAME/ here or in a directory above, and uses its recorded file (or,
 *   when that file is broken or gone, the record: `status` and `down` only);
 * - a broken file still reaches what it runs through its record (`status`, `down`), saying so;
 * - a project name claimed by another pulpo file of the same directory is refused;
 * - without -e (or $PULPO_ENV) the environment is the one `up` applied, and `up` refuses to switch.
 */
export function resolveTarget(flags: TargetFlags, command: TargetCommand, cwd = process.cwd()): Target {
  const explicitEnv = flags.env || process.env.PULPO_ENV || undefined
  if (flags.project) return byName(flags.project, flags, explicitEnv, command, cwd)
  const v = validateConfig({ config: flags.config, env: explicitEnv, cwd })
  if (!v.project) return fromBrokenFile(v, command)
  return withRecord(v.project, explicitEnv, command)
}

/** A plan with nothing to do, for a project known only from its record (status shows what runs). */
export function recordedPlan(project: Project): ProjectPlan {
  return { project: project.name, environment: project.environment, mode: project.mode, steps: [], resources: [], summary: { create: 0, update: 0, delete: 0, noop: 0 }, datamodels: [], databases: [] }
}

function byName(name: string, flags: TargetFlags, explicitEnv: string | undefined, command: TargetCommand, cwd: string): Target {
  if (flags.config) throw new PulpoError('usage', '-p/--project and -c/--config name the project twice: give one', { exitCode: 2 })
  const found = findRecorded(name, cwd)
  if (!found) {
    const known = recordsIn(cwd).map((r) => r.name)
    throw new PulpoError('unknown-project', `no project '${name}' recorded in .pulpo/ here or in a directory above`, {
      exitCode: 2,
      hints: [known.length ? `projects here: ${known.join(', ')}` : 'a project is recorded by `pulpo up`; nothing was started from this directory'],
    })
  }
  const file = recordFile(found.dir, found.record)
  const v = existsSync(file) ? validateConfig({ config: file, env: explicitEnv }) : undefined
  if (v?.project && v.project.name === name) return withRecord(v.project, explicitEnv, command)
  const why = !v ? `${found.record.file} is gone` : v.project ? `${found.record.file} now names project '${v.project.name}'` : brokenSummary(v)
  return fromRecord(found.dir, found.record, command, why)
}

function fromBrokenFile(v: Validation, command: TargetCommand): Target {
  const record = recordsIn(v.source.dir).find((r) => recordFile(v.source.dir, r) === v.source.absPath)
  if (!record || !fromRecordOnly.includes(command)) throw new InvalidConfigError(v.problems)
  return fromRecord(v.source.dir, record, command, brokenSummary(v))
}

function fromRecord(dir: string, record: ProjectRecord, command: TargetCommand, why: string): Target {
  if (!fromRecordOnly.includes(command)) {
    throw new PulpoError('no-config', `${command} needs the project's file: ${why}`, { hints: ['`pulpo status -p NAME` and `pulpo down -p NAME` work without it'] })
  }
  const project = recordedProject(dir, record)
  return { project, notes: [`${why}: acting on what \`pulpo up\` recorded for ${record.name} (environment ${record.environment}, ${record.mode})`] }
}

/** One line about a broken file: how many problems, and the first. */
function brokenSummary(v: Validation): string {
  const p = v.problems[0]
  const where = p ? `${p.file}:${p.line}:${p.column}: ${p.message}` : ''
  return `${v.source.file} has ${count(v.problems.length, 'problem')} (${where}; \`pulpo validate\` lists them)`
}

function withRecord(project: Project, explicitEnv: string | undefined, command: TargetCommand): Target {
  const record = readRecord(stateDirOf(project))
  if (!record) return { project, notes: [] }
  const claimed = recordFile(project.dir, record)
  if (claimed !== resolve(project.file) && existsSync(claimed)) {
    throw new PulpoError('project-in-use', `project '${project.name}' is run from ${record.file} in this directory, not from ${relative(project.dir, resolve(project.file))}`, {
      hints: [`give ${relative(project.dir, resolve(project.file))} a project name of its own (\`project:\`)`, `or stop the other first: pulpo down -c ${record.file}`],
    })
  }
  if (record.environment === project.environment) return { project, notes: [] }
  if (!explicitEnv) {
    if (command === 'up') {
      throw new PulpoError('environment-switch', `${project.name} runs environment '${record.environment}'; this up would switch it to '${project.environment}'`, {
        exitCode: 2,
        hints: [`pulpo up -e ${record.environment}   (update what runs)`, `pulpo up -e ${project.environment}   (switch: what ${record.environment} runs and ${project.environment} does not is stopped)`],
      })
    }
    // Act on what runs: the environment `up` applied.
    const v = validateConfig({ config: resolve(project.file), env: record.environment })
    if (v.project) return { project: v.project, notes: [] }
    if (!fromRecordOnly.includes(command)) throw new InvalidConfigError(v.problems)
    return fromRecord(project.dir, record, command, brokenSummary(v))
  }
  if (command !== 'up') return { project, notes: [`${project.name} runs environment '${record.environment}', not '${project.environment}'`] }
  return { project, notes: [`switching ${project.name} from environment '${record.environment}' to '${project.environment}'`], previous: recordedProject(project.dir, record) }
}
