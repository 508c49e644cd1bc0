import { renameSync, writeFileSync } from 'node:fs'

/** Writes a file so that a reader (or a crash) sees the old content or the new, never half. */
export function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, content)
  renameSync(tmp, path)
}
