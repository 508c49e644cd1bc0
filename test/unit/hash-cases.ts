import type { Service } from '../../src/config/types.js'

/** Fingerprint-like maps, with the characters an encoding could get wrong. */
export const CASES: Record<string, string>[] = [
  {},
  { kind: 'abc', command: 'def' },
  { 'env.PATH': '0123456789ab', 'env.é': 'x', 'env.日本': 'y', 'env.😀': 'z' },
  { 'env.K\ud800': 'lone', 'env.\udc00K': 'surrogates', z: '\0', a: '' },
]

/** A service whose env holds a case, for fingerprint(). */
export const service = (env: Record<string, string>) =>
  ({ kind: 'process', command: 'sleep 1', cwd: '/p/w', env, restart: { policy: 'no', backoffMs: 1000 }, stop: { signal: 'SIGTERM', timeoutMs: 10_000 }, persist: false }) as unknown as Service
