// Run by test/unit/hash.test.ts under Bun: the fingerprints and hashes of the cases on stdin.
import { fingerprint, hashOf } from '../../../src/plan/hash.js'
import { CASES, service } from '../hash-cases.js'

console.log(JSON.stringify(CASES.map((c) => ({ fingerprint: fingerprint(service(c), '/p'), hash: hashOf(c) }))))
