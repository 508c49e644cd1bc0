/**
 * A service's fingerprint and hash are stored in .pulpo/ and compared with the next plan's: they
 * must not change with the runtime (node in the tests, Bun in the binary, each with its own
 * SHA-256 call) nor between versions. Both are checked against SHA-256 made the way they were
 * first made (a Hash object fed key, NUL, value, NUL).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { fingerprint, hashOf } from '../../src/plan/hash.js'
import { CASES, service } from './hash-cases.js'

const ROOT = join(import.meta.dirname, '..', '..')
const sha = (s: string) => createHash('sha256').update(s).digest('hex')
function reference(fp: Record<string, string>): string {
  const h = createHash('sha256')
  for (const k of Object.keys(fp).sort()) h.update(k).update('\0').update(fp[k]).update('\0')
  return h.digest('hex').slice(0, 16)
}

test('fingerprints and hashes are the same SHA-256 under node and under Bun', () => {
  const bun = JSON.parse(execFileSync(join(ROOT, 'node_modules', '.bin', 'bun'), [join(ROOT, 'test', 'unit', 'bun', 'hash.ts')], { cwd: ROOT, encoding: 'utf8' }))
  CASES.forEach((c, i) => {
    const fp = fingerprint(service(c), '/p')
    for (const [k, v] of Object.entries(c)) assert.equal(fp[`env.${k}`], sha(JSON.stringify(v)).slice(0, 12), k)
    assert.equal(fp.cwd, sha(JSON.stringify('w')).slice(0, 12))
    assert.equal(hashOf(c), reference(c), JSON.stringify(c))
    assert.deepEqual(bun[i], { fingerprint: fp, hash: reference(c) }, JSON.stringify(c))
  })
})
