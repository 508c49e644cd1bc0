import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

test('the precompiled schema validator is what schemas/pulpo.schema.json compiles to', () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'gen-validator.mjs'), '--check'], { cwd: root, encoding: 'utf8' })
  assert.equal(r.status, 0, `src/config/schema-validator.generated.js is stale (run npm run build): ${r.stderr}`)
})
