/** What keeps the code's shape: no import cycle in src/, no module over 400 lines. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

const SRC = join(import.meta.dirname, '../../src')

test('no import cycle in src/', () => {
  // The script fails (and names each cycle) when there is one.
  execFileSync(process.execPath, [join(import.meta.dirname, '../../scripts/check-cycles.mjs'), SRC], { stdio: 'pipe' })
})

test('no module in src/ is over 400 lines', () => {
  const long: string[] = []
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      if (statSync(p).isDirectory()) visit(p)
      else if (name.endsWith('.ts') && !name.includes('.generated.')) {
        const lines = readFileSync(p, 'utf8').split('\n').length - 1
        if (lines > 400) long.push(`${p.slice(SRC.length + 1)}: ${lines} lines`)
      }
    }
  }
  visit(SRC)
  assert.deepEqual(long, [])
})
