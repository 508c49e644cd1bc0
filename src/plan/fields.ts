import type { Service } from '../config/types.js'

/**
 * A changed field of a service in pulpo.yaml's own terms: `ready.timeout`, not the normalised
 * `ready.timeoutMs`; added or removed (a new env key is not "changed"); with the old and new value
 * when both are known and harmless to show.
 */
export interface FieldChange {
  field: string
  change: 'added' | 'removed' | 'changed'
  from?: string
  to?: string
}

/** Normalised fingerprint keys → the keys a user wrote. */
const USER_NAMES: Record<string, string> = {
  'ready.timeoutMs': 'ready.timeout',
  'ready.intervalMs': 'ready.interval',
  'ready.kind': 'ready',
  'ready.path': 'ready.http',
  'ready.pattern': 'ready.log',
  'ready.command': 'ready.exec',
  'restart.policy': 'restart',
  'restart.maxRestarts': 'max_restarts',
  'restart.backoffMs': 'backoff',
  'stop.timeoutMs': 'stop.timeout',
}

export const userField = (key: string) => USER_NAMES[key] ?? key

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`)

/**
 * The values of a service that a plan may show, by the user's key: durations, policies, signals,
 * ports, the probe's kind. Never env, commands or images (they may hold secrets); stored in
 * .pulpo/ beside the fingerprint so that the next plan can say `ready.timeout 10s → 20s`.
 */
export function shownValues(s: Service): Record<string, string> {
  const out: Record<string, string> = { kind: s.kind, restart: s.restart.policy, backoff: seconds(s.restart.backoffMs), 'stop.signal': s.stop.signal, 'stop.timeout': seconds(s.stop.timeoutMs), persist: String(s.persist) }
  if (s.port !== undefined) out.port = String(s.port)
  if (s.publish !== undefined) out.publish = String(s.publish)
  if (s.restart.maxRestarts !== undefined) out.max_restarts = String(s.restart.maxRestarts)
  if (s.ready) Object.assign(out, { ready: s.ready.kind, 'ready.timeout': seconds(s.ready.timeoutMs), 'ready.interval': seconds(s.ready.intervalMs) })
  return out
}

/** What differs between two fingerprints, in the user's terms (sorted, one entry per user field). */
export function fieldChanges(before: Record<string, string>, after: Record<string, string>, shownBefore?: Record<string, string>, shownAfter?: Record<string, string>): FieldChange[] {
  const out = new Map<string, FieldChange>()
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[k] === after[k]) continue
    const field = userField(k)
    const change = !(k in before) ? 'added' : !(k in after) ? 'removed' : 'changed'
    const from = shownBefore?.[field]
    const to = shownAfter?.[field]
    const values = change === 'changed' && from !== undefined && to !== undefined && from !== to ? { from, to } : {}
    const seen = out.get(field)
    // One line per field the user wrote: a probe that changes kind changes several keys of it.
    if (!seen || (seen.change !== 'changed' && change === 'changed')) out.set(field, { field, change, ...values })
  }
  return [...out.values()].sort((a, b) => a.field.localeCompare(b.field))
}
