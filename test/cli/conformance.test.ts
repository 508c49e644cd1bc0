/**
 * Compose's own interpolation and env-file cases (transcribed from compose-go's tests), run against
 * the built binary by their runners. They live beside the repository, in ../shared/conformance/;
 * they are read from there, never copied in.
 */
import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { BIN, ensureBinary, ROOT } from './helpers.js'

const CONFORMANCE = join(ROOT, '..', 'shared', 'conformance')

before(ensureBinary)

describe('Compose conformance', () => {
  // `--all` includes the `${VAR:+x}` / `${VAR+x}` cases, which pulpo implements too.
  for (const [runner, args] of [['interpolation_conformance.py', ['--all']], ['dotenv_conformance.py', []]] as const) {
    test(runner, async () => {
      const script = join(CONFORMANCE, runner)
      assert.ok(existsSync(script), `${script} is missing: the conformance cases are expected in shared/ beside the repository`)
      const r = await execa('python3', [script, '-j', '2', ...args], { env: { PULPO: BIN }, reject: false, timeout: 900_000 })
      const summary = /(\d+) passed, (\d+) failed/.exec(r.stdout)
      const failures = r.stdout.split('\n').filter((l) => l.startsWith('FAIL') || l.startsWith('     ')).join('\n')
      assert.ok(summary, `no summary from ${runner}:\n${r.stdout}\n${r.stderr}`)
      assert.equal(r.exitCode, 0, `${summary[0]}\n${failures}`)
      assert.equal(summary[2], '0')
    })
  }
})
