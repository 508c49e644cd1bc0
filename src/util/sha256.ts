import { builtin } from './builtin.js'

type BunHasher = { hash(algorithm: 'sha256', data: string, encoding: 'hex'): string }
type NodeCrypto = typeof import('node:crypto')

const bun = (globalThis as { Bun?: { CryptoHasher?: BunHasher } }).Bun?.CryptoHasher
let nodeCrypto: NodeCrypto | undefined

/**
 * SHA-256 of a string, as hex. In the binary, Bun's native one-shot hasher: merely loading
 * node:crypto there builds its stream classes, several milliseconds of every `status` and `up`
 * (and one-shot hashing is 2–3× faster than a Hash object: a dozen digests per service). Under node
 * (tests, the dev path), node:crypto, loaded on first use. The same digest either way.
 */
export function sha256(data: string): string {
  if (bun) return bun.hash('sha256', data, 'hex')
  nodeCrypto ??= builtin<NodeCrypto>('node:crypto')
  return nodeCrypto.hash ? nodeCrypto.hash('sha256', data, 'hex') : nodeCrypto.createHash('sha256').update(data).digest('hex')
}
