import { entries, isRecord, type Mode, type RawConfig, type RawService } from './model.js'

/** The environment a command works on: --env, else PULPO_ENV, else the file's `environment`, else dev. */
export function selectEnvironment(raw: RawConfig, flag?: string): string {
  const declared = Object.keys(isRecord(raw.environments) ? raw.environments : {})
  return flag || process.env.PULPO_ENV || (typeof raw.environment === 'string' ? raw.environment : undefined) || (declared.includes('dev') || !declared.length ? 'dev' : declared[0])
}

export function modeOf(raw: RawConfig, envName: string): Mode {
  return raw.environments?.[envName]?.mode ?? raw.mode ?? 'local'
}

/** Every environment a service can run in: the declared ones, or one implicit environment. */
export function environmentNames(raw: RawConfig): string[] {
  const declared = Object.keys(isRecord(raw.environments) ? raw.environments : {})
  return declared.length ? declared : [selectEnvironment(raw)]
}

/**
 * Deep-merges `over` onto `base`: mappings merge key by key, anything else (lists included) is
 * replaced, so an override's `command: [...]` or `watch: [...]` says exactly what runs.
 */
export function deepMerge<T>(base: T, over: unknown): T {
  if (!isRecord(base) || !isRecord(over)) return (over === undefined ? base : over) as T
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : v
  return out as T
}

/** A list form of depends_on becomes the map form, so an override can merge with it. */
function normaliseDeps(svc: RawService): RawService {
  if (!Array.isArray(svc.depends_on)) return svc
  return { ...svc, depends_on: Object.fromEntries(svc.depends_on.map((d) => [d, 'started' as const])) }
}

const merged = new WeakMap<RawConfig, Map<string, Readonly<Record<string, RawService>>>>()

/**
 * The services of one environment: overrides merged, disabled ones dropped. Computed once per
 * file and environment (the checks and the resolver each ask for every environment), so the
 * result is shared: read it, never change it.
 */
export function servicesIn(raw: RawConfig, envName: string): Readonly<Record<string, RawService>> {
  let byEnv = merged.get(raw)
  if (!byEnv) merged.set(raw, (byEnv = new Map()))
  let services = byEnv.get(envName)
  if (!services) byEnv.set(envName, (services = Object.freeze(mergeServices(raw, envName))))
  return services
}

function mergeServices(raw: RawConfig, envName: string): Record<string, RawService> {
  const overrides = raw.environments?.[envName]?.services ?? {}
  const out: Record<string, RawService> = {}
  for (const [name, base] of entries(raw.services)) {
    if (!isRecord(base)) continue
    const over = isRecord(overrides[name]) ? normaliseDeps(overrides[name]) : undefined
    const merged = over ? deepMerge(normaliseDeps(base), over) : base
    if (merged.enabled === false) continue
    out[name] = merged
  }
  return out
}
