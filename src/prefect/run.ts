import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Backend } from '../backends/backend.js'
import { ensureCompiled, RUN_CACHE } from '../compile/index.js'
import type { FlowEntry } from '../compile/prefect.js'
import type { Project } from '../config/types.js'
import { KINDS } from '../kinds/kinds.js'
import { PulpoError } from '../errors.js'
import { reach } from '../app/reach.js'
import { urlAuthority } from '../probes/probe.js'
import { didYouMean } from '../util/didyoumean.js'
import { onPath } from '../util/on-path.js'
import { tethered } from '../util/tethered.js'

/** The outcome of a flow run, as `pulpo prefect run --json` prints it. */
export interface FlowOutcome {
  flow: string
  state: string
  result: unknown
  flow_run_id?: string
  error?: string
  message?: string
  api_url?: string
}

/** A flow by any name `pulpo prefect run` accepts: `scraping_flow`, `scraping`, `scraping.stepstone`. */
export function findFlow(flows: FlowEntry[], name: string): FlowEntry {
  const found = flows.find((f) => f.name === name || f.aliases.includes(name))
  if (found) return found
  const names = flows.map((f) => f.name)
  throw new PulpoError('unknown-flow', `no flow '${name}'`, {
    exitCode: 2,
    hints: [didYouMean(name, [...names, ...flows.flatMap((f) => f.aliases)]), names.length ? `flows: ${names.join(', ')}` : 'pulpo.yaml declares no operations'].filter((h): h is string => Boolean(h)),
  })
}

/** Parameters from `--params JSON` and `--param k=v` (these win), checked against the flow's. */
export function flowParameters(flow: FlowEntry, json: string | undefined, pairs: string[]): Record<string, unknown> {
  let params: Record<string, unknown> = {}
  if (json) {
    try {
      params = JSON.parse(json)
    } catch (e) {
      throw new PulpoError('usage', `--params is not valid JSON: ${(e as Error).message}`, { exitCode: 2 })
    }
    if (!params || typeof params !== 'object' || Array.isArray(params)) throw new PulpoError('usage', '--params must be a JSON object', { exitCode: 2 })
  }
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new PulpoError('usage', `--param ${pair}: write it as name=value`, { exitCode: 2 })
    params[pair.slice(0, eq)] = paramValue(flow, pair.slice(0, eq), pair.slice(eq + 1))
  }
  const known = flow.params.map((p) => p.name)
  for (const name of Object.keys(params)) {
    if (!known.includes(name)) throw new PulpoError('usage', `${flow.name} has no parameter '${name}'`, { exitCode: 2, hints: [didYouMean(name, known) ?? (known.length ? `parameters: ${known.join(', ')}` : `${flow.name} takes no parameters`)] })
  }
  const missing = flow.params.filter((p) => p.required && !(p.name in params))
  if (missing.length) throw new PulpoError('usage', `${flow.name} needs ${missing.map((p) => `${p.name} (${p.type})`).join(', ')}`, { exitCode: 2, hints: [`pass --param ${missing[0].name}=...`] })
  return params
}

const BOOLS: Record<string, boolean> = { true: true, false: false, yes: true, no: false, on: true, off: false, '1': true, '0': false }
const JSON_EXAMPLE: Record<string, string> = { list: `'["a", "b"]'`, dict: `'{"k": "v"}'` }

/**
 * The value of `--param name=value`, as the parameter's declared type: sent typed, so that Prefect
 * records `pages: 2`, not `"2"`, and a deployment's run (whose parameters the server checks against
 * the schema without converting them) accepts it. list and dict are written as JSON; a value that
 * is not of its type is a usage error here rather than a failed flow run.
 */
function paramValue(flow: FlowEntry, name: string, text: string): unknown {
  const type = flow.params.find((p) => p.name === name)?.type
  const t = text.trim()
  if (type === 'int' && /^[+-]?\d+$/.test(t)) return Number.isSafeInteger(Number(t)) ? Number(t) : text // beyond 2^53: Prefect converts the text
  if (type === 'float' && t !== '' && Number.isFinite(Number(t))) return Number(t)
  if (type === 'bool' && t.toLowerCase() in BOOLS) return BOOLS[t.toLowerCase()]
  if (type === 'list' || type === 'dict') {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {}
    if (type === 'list' ? Array.isArray(value) : typeof value === 'object' && value !== null && !Array.isArray(value)) return value
    throw new PulpoError('usage', `--param ${name}: ${name} is a ${type}; write it as JSON, e.g. ${name}=${JSON_EXAMPLE[type]}`, { exitCode: 2 })
  }
  if (type === 'int' || type === 'float' || type === 'bool') {
    throw new PulpoError('usage', `--param ${name}: ${name} is ${type === 'int' ? 'an int' : `a ${type}`}, and ${JSON.stringify(text)} is not one`, { exitCode: 2, hints: type === 'bool' ? ['write true or false (or yes/no, on/off, 1/0)'] : [] })
  }
  return text // a str, or a name the flow does not have (reported by the caller)
}

/**
 * Stops a flow's process when pulpo is stopped. Ctrl-C reaches the whole process group, the flow's
 * process too, and Prefect records the run as crashed as it ends: a SIGTERM at the same moment
 * would cut that report short (the run stays "running" on the server). So it is asked only when it
 * has not ended on its own (pulpo alone was signalled), and killed when it ignores that too.
 */
function stopGently(child: ChildProcess): void {
  const ask = setTimeout(() => child.kill('SIGTERM'), 2_000)
  const kill = setTimeout(() => child.kill('SIGKILL'), 12_000)
  child.once('exit', () => {
    clearTimeout(ask)
    clearTimeout(kill)
  })
}

const sysPath = (project: Project) => [join(project.dir, RUN_CACHE), ...project.pythonPath]

/**
 * Runs one of the generated scripts with the project's Python (compiling first if run_cache/ is
 * stale): the request goes as JSON on stdin, never through a shell or into code; the script's
 * report comes back on file descriptor 3, so its own output stays the user's.
 */
async function runPython(project: Project, script: string, request: unknown, opts: { apiUrl?: string; logsTo: 'stdout' | 'stderr'; signal?: AbortSignal }): Promise<{ report: string; code: number | null }> {
  ensureCompiled(project)
  const python = project.python
  if (python.includes('/') && !existsSync(python)) {
    throw new PulpoError('python-missing', `the project's Python ${python} does not exist`, { hints: ['create it (python3 -m venv .venv && .venv/bin/pip install prefect), or set python: in pulpo.yaml'] })
  }
  // Analytics off by default: Prefect's ephemeral server otherwise tries to send telemetry, and
  // logs an error where there is no network. Its start-up limit (20 s by default) is raised: a
  // fresh PREFECT_HOME migrates its database first, which takes longer than that on a busy machine.
  const env: Record<string, string> = { PREFECT_SERVER_ANALYTICS_ENABLED: 'false', PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: '120', ...(process.env as Record<string, string>), ...project.env, PYTHONUNBUFFERED: '1', PREFECT_RESULTS_PERSIST_BY_DEFAULT: 'true' }
  if (opts.apiUrl) env.PREFECT_API_URL = opts.apiUrl
  // Checked before spawning: a command that is not found leaves the child without its pipes.
  if (!python.includes('/') && !onPath(python, env.PATH ?? '')) {
    throw new PulpoError('python-missing', `cannot run the project's Python: ${python} is not on PATH`, { hints: ['set python: in pulpo.yaml (or PULPO_PYTHON), or create .venv with Prefect installed'] })
  }
  const out = opts.logsTo === 'stdout' ? 'inherit' : process.stderr
  if (opts.signal?.aborted) return { report: '', code: null }
  // Tethered: a `prefect run` killed outright (no handler sees SIGKILL) takes its flow run along.
  const [file, args] = tethered(python, [join(project.dir, RUN_CACHE, 'orchestration', script)], 'TERM')
  const child = spawn(file, args, { cwd: project.dir, env, stdio: ['pipe', out, 'inherit', 'pipe'] })
  opts.signal?.addEventListener('abort', () => stopGently(child), { once: true })
  // Listening for 'error' first: a spawn that fails has no pipes, and an unheard error crashes.
  const code = new Promise<number | null>((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? new PulpoError('python-missing', `cannot run ${python}: not found`, { hints: ['set python: in pulpo.yaml, or create .venv with Prefect installed'] }) : e)
    })
    child.once('close', resolve)
  })
  let report = ''
  const reportStream = child.stdio[3] as NodeJS.ReadableStream | null
  reportStream?.setEncoding('utf8')
  reportStream?.on('data', (d: string) => (report += d))
  // Bun may report the child closed before it has read all of fd 3: wait for the stream's end too.
  const drained = new Promise<void>((resolve) => {
    if (!reportStream) return resolve()
    reportStream.once('end', () => resolve())
    reportStream.once('close', () => resolve())
    reportStream.once('error', () => resolve())
  })
  child.stdin?.end(JSON.stringify(request))
  const exit = await code
  await drained
  return { report, code: exit }
}

/** Registers deployments of the flows with the project's running Prefect server. */
export async function deployFlows(project: Project, flows: FlowEntry[], apiUrl: string): Promise<{ flow: string; deployment: string; id: string }[]> {
  const { report, code } = await runPython(project, '_deploy.py', { flows: flows.map((f) => ({ name: f.name, module: f.module, function: f.function })), sys_path: sysPath(project) }, { apiUrl, logsTo: 'stderr' })
  try {
    return JSON.parse(report).deployed
  } catch {
    throw new PulpoError('deploy-failed', `registering the deployments failed (the Python process ended with exit ${code}; its output is above)`)
  }
}

/** The project's Prefect API, when its prefect service runs; else undefined (ephemeral mode). */
export async function prefectApiUrl(project: Project, backend: Backend): Promise<string | undefined> {
  const prefect = Object.values(project.services).find((s) => s.kind === 'prefect')
  if (!prefect) return undefined
  const { actual } = await backend.observe(project)
  const a = actual.find((x) => x.name === prefect.name)
  if (!a || a.state !== 'running' || a.health === 'unhealthy') return undefined
  const { host, port } = await reach(project, prefect.name)
  return `http://${urlAuthority(host, port)}/api`
}

/**
 * Runs a compiled flow with the project's Python: compiles first if run_cache/ is stale, passes the
 * parameters as JSON on stdin (never through a shell or into code), lets the flow's logs through,
 * and reads its outcome from file descriptor 3.
 */
export async function runFlow(
  project: Project,
  flow: FlowEntry,
  params: Record<string, unknown>,
  opts: { apiUrl?: string; deployment?: boolean; logsTo: 'stdout' | 'stderr'; signal?: AbortSignal },
): Promise<FlowOutcome> {
  const request = { module: flow.module, function: flow.function, params, sys_path: sysPath(project), ...(opts.deployment ? { deployment: `${flow.name}/${flow.name}` } : {}) }
  const { report, code } = await runPython(project, '_run.py', request, opts)
  let outcome: { state: string; result?: unknown; flow_run_id?: string; error?: string; message?: string; traceback?: string }
  try {
    outcome = JSON.parse(report)
  } catch {
    if (opts.signal?.aborted) throw new PulpoError('interrupted', `${flow.name} was interrupted`, { exitCode: 130 })
    throw new PulpoError('flow-crashed', `${flow.name}: the Python process ended (exit ${code}) without reporting an outcome`)
  }
  if (outcome.state === 'DEPLOYMENT_FAILED') {
    // The hint about registering only when the deployment is missing, not for, say, parameters
    // the server refused.
    const missing = /ObjectNotFound|404/.test(outcome.error ?? '')
    throw new PulpoError('deployment', `cannot run the deployment of ${flow.name}: ${outcome.error}`, { hints: missing ? ['register it with `pulpo prefect deploy`, and run a service of kind: prefect-serve to execute its runs'] : [] })
  }
  if (outcome.state === 'MISSING_PREFECT') {
    throw new PulpoError('prefect-missing', `Prefect is not installed in ${project.python}: ${outcome.error}`, { hints: [`install it: ${project.python} -m pip install 'prefect>=3,<4'`] })
  }
  if (outcome.state === 'IMPORT_FAILED') {
    throw new PulpoError('flow-import', `cannot load ${flow.name}: ${outcome.error}`, { hints: ['check the run: targets in pulpo.yaml and python_path'] })
  }
  // `result` is always there, null when the run did not complete: the shape of --json is stable.
  return { flow: flow.name, state: outcome.state, result: outcome.result ?? null, ...(outcome.flow_run_id ? { flow_run_id: outcome.flow_run_id } : {}), ...(outcome.error ? { error: outcome.error } : {}), ...(outcome.message ? { message: outcome.message } : {}), ...(opts.apiUrl ? { api_url: opts.apiUrl } : {}) }
}
