import { PulpoError } from '../errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/

/** A duration from pulpo.yaml (`200ms`, `5s`, or a number of seconds) in milliseconds. */
export function toMillis(value: string | number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value === 'number') return value * 1000
  const m = DURATION.exec(value)
  if (!m) return fallback
  return Number(m[1]) * UNITS[m[2] ?? 's']
}

/**
 * A duration from an environment variable (`30s`, `2m`, or a bare number of seconds), in
 * milliseconds; unset or empty gives the fallback, anything else is a usage error naming it.
 */
export function envDuration(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const value = env[name]?.trim()
  if (!value) return fallback
  if (!DURATION.test(value)) throw new PulpoError('usage', `${name}='${value}' is not a duration`, { exitCode: 2, hints: [`write it as a number of seconds (${name}=30) or with a unit: 500ms, 30s, 2m, 1h`] })
  return toMillis(value, fallback)
}
