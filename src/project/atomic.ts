import { chmodSync, renameSync, writeFileSync } from 'node:fs'

/**
 * Writes a file so that a reader (or a crash) sees the old content or the new, never half.
 * Readable by its owner only (0600): pulpo's files under .pulpo/ are nobody else's business.
 */
export function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, content, { mode: 0o600 })
  // A leftover temporary file of the same name keeps its old mode through writeFileSync.
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
}
