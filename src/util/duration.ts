const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** A duration from pulpo.yaml (`200ms`, `5s`, or a number of seconds) in milliseconds. */
export function toMillis(value: string | number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value === 'number') return value * 1000
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(value)
  if (!m) return fallback
  return Number(m[1]) * UNITS[m[2]]
}
