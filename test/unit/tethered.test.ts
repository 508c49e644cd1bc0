/**
 * Which setpriv tethers a command: one that knows --pdeathsig, never one that would refuse it
 * (util-linux before 2.33, BusyBox), through which every Docker command would fail. Each case runs
 * in a fresh process (the choice is made once per process) with a PATH of stand-in setprivs.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const MODULE = join(import.meta.dirname, '..', '..', 'src', 'util', 'tethered.ts')

/** What tethered('sh', ['-c', 'x']) gives with a setpriv whose --help prints `help` (none: no setpriv). */
function tetheredWith(help: string | undefined): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'pulpo-tethered-'))
  try {
    // PATH is this directory alone: the machine's own setpriv must not be found.
    symlinkSync('/bin/sh', join(dir, 'sh'))
    if (help !== undefined) {
      writeFileSync(join(dir, 'setpriv'), `#!/bin/sh\nprintf '%s\\n' '${help}'\n`)
      chmodSync(join(dir, 'setpriv'), 0o755)
    }
    const script = `import { tethered } from ${JSON.stringify(MODULE)}; console.log(JSON.stringify(tethered('sh', ['-c', 'x'])))`
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, PATH: dir }, encoding: 'utf8' })
    return JSON.parse(out).flat()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('tethered', { skip: process.platform !== 'linux' }, () => {
  test('a setpriv that knows --pdeathsig runs the command', () => {
    const [file, ...args] = tetheredWith(' --pdeathsig <signal>   set or clear parent death signal')
    assert.match(file, /setpriv$/)
    assert.deepEqual(args, ['--pdeathsig', 'KILL', '--', 'sh', '-c', 'x'])
  })

  test('a setpriv without --pdeathsig, or none: the command as it is', () => {
    assert.deepEqual(tetheredWith(' --nnp, --no-new-privs   disallow granting new privileges'), ['sh', '-c', 'x'])
    assert.deepEqual(tetheredWith(undefined), ['sh', '-c', 'x'])
  })
})
