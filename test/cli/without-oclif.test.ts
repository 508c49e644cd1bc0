/**
 * `pulpo status`, `up` and `validate` without oclif (main.ts, src/without-oclif.ts) say exactly what
 * their oclif commands say: the same stdout, stderr and exit code. A trailing `--` sends the same
 * command to oclif, so each case is run both ways and compared; what the fast path does not read
 * (help, an unknown flag, a flag without its value) is oclif's own.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { ensureBinary, pulpo, removeDir, show, tempDir, type Run } from './helpers.js'

const FILE = `version: 1
project: quick
mode: local
environments:
  prod: {}
services:
  db:
    command: "sleep 100"
  api:
    command: "sleep 100"
    depends_on: { db: started }
`
const temps: string[] = []
const project = (files: Record<string, string>) => {
  const dir = tempDir(files)
  temps.push(dir)
  return dir
}

before(ensureBinary)
after(() => temps.forEach(removeDir))

/** Each case (directory, arguments, environment) run without oclif and, with a trailing `--`, by oclif: the same stdout, stderr and exit code. */
async function assertSameBothWays(cases: Array<[string, string[], Record<string, string>?]>) {
  for (const [cwd, args, env] of cases) {
    const fast = await pulpo(args, { cwd, env })
    const oclif = await pulpo([...args, '--'], { cwd, env })
    assert.deepEqual(fast, oclif, `${args.join(' ')}\nwithout oclif: ${show(fast)}\noclif: ${show(oclif)}`)
  }
}

test('status without oclif says what oclif says, in every case', async () => {
  const good = project({ 'pulpo.yaml': FILE })
  const broken = project({ 'pulpo.yaml': FILE.replace('depends_on: { db: started }', 'depends_on: { dbb: started }') })
  const cases: Array<[string, string[], Record<string, string>?]> = [
    [good, ['status']],
    [good, ['status', '--json']],
    [good, ['status'], { FORCE_COLOR: '1' }],
    [good, ['status', '-e', 'prod', '--json']],
    [good, ['status', '--env=nope']],
    [good, ['status', '--env=nope', '--json']],
    [good, ['status', '-c', 'pulpo.yaml']],
    [good, ['status', '--config', 'missing.yaml']],
    [good, ['status', '-p', 'nope']],
    [good, ['status', '-p', 'nope', '--json']],
    [broken, ['status']],
    [broken, ['status', '--json']],
    [broken, ['status'], { FORCE_COLOR: '1' }],
  ]
  await assertSameBothWays(cases)
  // Sanity: the cases say something.
  const r = await pulpo(['status'], { cwd: good })
  assert.equal(r.exitCode, 0, show(r))
  assert.match(r.stdout, /quick \(prod, local\)/)
  assert.match(r.stdout, /2 pending changes: run pulpo up/)
  const e = await pulpo(['status', '--json'], { cwd: broken })
  assert.equal(e.exitCode, 1, show(e))
  assert.match(e.stdout, /"code": "invalid-config"/)
})

test('what status without oclif does not read is oclif\'s: help, usage errors', async () => {
  const dir = project({ 'pulpo.yaml': FILE })
  const help = await pulpo(['status', '--help'], { cwd: dir })
  assert.equal(help.exitCode, 0, show(help))
  assert.match(help.stdout, /USAGE\n\s+\$ pulpo status/)
  const cases: Array<[string[], RegExp]> = [
    [['status', '--bogus'], /Nonexistent flag: --bogus/],
    [['status', '-e'], /Flag --env expects a value/],
    [['status', '-c', 'pulpo.yaml', '-p', 'quick'], /--config=pulpo.yaml cannot also be provided when using --project/],
    [['status', '-e', 'dev', '-e', 'prod'], /Flag --env can only be specified once/],
    [['status', 'api'], /command status:api not found/],
  ]
  for (const [args, words] of cases) {
    const r = await pulpo(args, { cwd: dir })
    assert.equal(r.exitCode, 2, show(r))
    assert.match(r.stderr, words, show(r))
  }
})

/** What differs between two runs of `up` by nature: the directory, durations, and the order in which concurrent services report. */
const comparable = (r: Run, dir: string) => {
  const lines = (s: string) => s.replaceAll(dir, 'DIR').replace(/\(\d+(\.\d+)?m?s\)/g, '(T)').replace(/"(durationMs|ms)": \d+/g, '"$1": T').split('\n').sort().join('\n')
  return { exitCode: r.exitCode, stdout: lines(r.stdout), stderr: lines(r.stderr) }
}

test('up without oclif says what oclif says, in every case', async () => {
  const broken = FILE.replace('depends_on: { db: started }', 'depends_on: { dbb: started }')
  const cases: Array<[string, string[]]> = [
    [FILE, ['up']],
    [FILE, ['up', 'db', '--json']],
    [FILE, ['up', 'dbb']],
    [FILE, ['up', '-e', 'nope']],
    [FILE, ['up', '--prune-indexes', '-c', 'pulpo.yaml', 'api']],
    [broken, ['up']],
    [broken, ['up', '--json']],
  ]
  for (const [file, args] of cases) {
    // Twins: each way starts from nothing.
    const fastDir = project({ 'pulpo.yaml': file })
    const oclifDir = project({ 'pulpo.yaml': file })
    const fast = await pulpo(args, { cwd: fastDir })
    const oclif = await pulpo([...args, '--'], { cwd: oclifDir })
    for (const dir of [fastDir, oclifDir]) await pulpo(['down'], { cwd: dir })
    assert.deepEqual(comparable(fast, fastDir), comparable(oclif, oclifDir), `${args.join(' ')}\nwithout oclif: ${show(fast)}\noclif: ${show(oclif)}`)
  }
  // Sanity: the cases say something, and an up without oclif then leaves nothing changed.
  const dir = project({ 'pulpo.yaml': FILE })
  try {
    const r = await pulpo(['up'], { cwd: dir })
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stdout, /quick is up \(2 services, 2 changed\)/)
    const again = await pulpo(['up', '--json'], { cwd: dir })
    assert.equal(again.exitCode, 0, show(again))
    assert.deepEqual(JSON.parse(again.stdout).summary, { create: 0, update: 0, delete: 0, noop: 2 })
  } finally {
    await pulpo(['down'], { cwd: dir })
  }
})

test('validate without oclif says what oclif says, in every case', async () => {
  const good = project({ 'pulpo.yaml': FILE })
  const broken = project({ 'pulpo.yaml': FILE.replace('depends_on: { db: started }', 'depends_on: { dbb: started }\n    port: nope') })
  const cases: Array<[string, string[], Record<string, string>?]> = [
    [good, ['validate']],
    [good, ['validate', '--json']],
    [good, ['validate', '-e', 'prod']],
    [good, ['validate', '--env=nope', '--json']],
    [good, ['validate', '-c', 'missing.yaml']],
    [broken, ['validate']],
    [broken, ['validate', '--json']],
    [broken, ['validate'], { FORCE_COLOR: '1' }],
  ]
  await assertSameBothWays(cases)
  const r = await pulpo(['validate'], { cwd: broken })
  assert.equal(r.exitCode, 1, show(r))
  assert.match(r.stderr, /dbb/)
})
