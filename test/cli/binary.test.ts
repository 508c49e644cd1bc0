/**
 * The release artefact on its own: dist/pulpo copied into an empty directory and run with an empty
 * environment (`env -i PATH=/usr/bin:/bin`), so no node_modules, no package.json and none of the
 * developer's variables are around. This also covers cli.ts's use of an oclif-private field
 * (the in-memory command map), which only the built binary exercises.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { execa } from 'execa'
import { assertNoStackTrace, BIN, ensureBinary, PKG, removeDir, show, tempDir, writeFiles, type Run } from './helpers.js'

let dir: string // holds only the copied binary (and what `init` writes)
let exe: string

/** `env -i PATH=... VARS... ./pulpo ARGS` in `cwd`. */
async function run(args: string[], opts: { cwd?: string; vars?: Record<string, string>; path?: string } = {}): Promise<Run> {
  const vars = Object.entries(opts.vars ?? {}).map(([k, v]) => `${k}=${v}`)
  const r = await execa('/usr/bin/env', ['-i', `PATH=${opts.path ?? '/usr/bin:/bin'}`, ...vars, exe, ...args], {
    cwd: opts.cwd ?? dir,
    env: {},
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
  })
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }
}

before(async () => {
  await ensureBinary()
  dir = tempDir()
  exe = join(dir, 'pulpo')
  copyFileSync(BIN, exe)
  // The point of the exercise: nothing a Node program could lean on, here or in any directory above.
  for (let d = dir; ; d = dirname(d)) {
    assert.ok(!existsSync(join(d, 'package.json')) && !existsSync(join(d, 'node_modules')), `${d} has a package.json or node_modules`)
    if (dirname(d) === d) break
  }
})

after(() => removeDir(dir))

describe('the binary on its own', () => {
  test('--version prints pulpo/<version from package.json>', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await run([flag])
      assert.equal(r.exitCode, 0, show(r))
      assert.match(r.stdout, new RegExp(`^${PKG.name}/${PKG.version.replace(/\./g, '\\.')}(\\s|$)`), show(r))
    }
  })

  test('--help lists the commands', async () => {
    const r = await run(['--help'])
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stdout, /USAGE/)
    const commands = r.stdout.slice(r.stdout.indexOf('COMMANDS'))
    for (const c of ['config', 'help', 'init', 'validate']) assert.match(commands, new RegExp(`^\\s+${c}\\s+\\S`, 'm'), `${c} missing:\n${r.stdout}`)
  })

  test('help validate, validate --help and validate -h describe the command and its flags', async () => {
    for (const args of [['help', 'validate'], ['validate', '--help'], ['validate', '-h']]) {
      const r = await run(args)
      assert.equal(r.exitCode, 0, `${args.join(' ')}: ${show(r)}`)
      assert.match(r.stdout, /\$ pulpo validate/)
      assert.match(r.stdout, /-c, --config=/)
      assert.match(r.stdout, /-e, --env=/)
      assert.match(r.stdout, /--json/)
    }
  })

  test('an unknown command exits non-zero with a clear message and no stack trace', async () => {
    const r = await run(['frobnicate'])
    assert.notEqual(r.exitCode, 0, show(r))
    assert.match(r.stderr, /command frobnicate not found/i, show(r))
    assertNoStackTrace(r)
  })

  test('an unknown flag is a usage error: exit 2', async () => {
    const r = await run(['validate', '--frobnicate'])
    assert.equal(r.exitCode, 2, show(r))
    assert.match(r.stderr, /--frobnicate/, show(r))
    assertNoStackTrace(r)
  })

  test('a usage error with --json: exit 2 and the error shape on stdout, not oclif\'s internals', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['status', '--json', '--frobnicate'], /Nonexistent flag: --frobnicate/],
      [['plan', '--json', '--frobnicate'], /Nonexistent flag: --frobnicate/],
      [['validate', '--json', '-e'], /Flag --env expects a value/],
      [['prefect', 'run', '--json'], /Missing 1 required arg/],
      [['down', '--json', '-c', 'pulpo.yaml', '-p', 'x'], /cannot also be provided when using --project/],
    ]
    for (const [args, words] of cases) {
      const r = await run(args)
      assert.equal(r.exitCode, 2, `${args.join(' ')}: ${show(r)}`)
      const doc = JSON.parse(r.stdout)
      assert.deepEqual(Object.keys(doc), ['error'], show(r))
      assert.equal(doc.error.code, 'usage', show(r))
      assert.match(doc.error.message, words, show(r))
      assert.ok(r.stdout.length < 2000, `stdout is ${r.stdout.length} bytes: ${r.stdout.slice(0, 300)}`)
      assertNoStackTrace(r)
    }
  })

  test('init, then validate, in the empty directory', async () => {
    const init = await run(['init'])
    assert.equal(init.exitCode, 0, show(init))
    assert.ok(existsSync(join(dir, 'pulpo.yaml')), 'init wrote no pulpo.yaml')
    const v = await run(['validate'])
    assert.equal(v.exitCode, 0, show(v))
    assert.match(v.stdout, /pulpo\.yaml is valid/)
    const j = await run(['validate', '--json'])
    assert.equal(j.exitCode, 0, show(j))
    assert.deepEqual(JSON.parse(j.stdout).errors, [])
    // init writes pulpo.yaml and the schema its modeline points at; validate writes nothing.
    assert.deepEqual(readdirSync(dir).sort(), ['pulpo', 'pulpo.schema.json', 'pulpo.yaml'])
  })

  test('needs nothing on PATH (no node, no bun)', async () => {
    const empty = tempDir()
    try {
      const project = tempDir()
      try {
        for (const args of [['--version'], ['init'], ['validate'], ['config', '--json']]) {
          const r = await run(args, { cwd: project, path: empty })
          assert.equal(r.exitCode, 0, `${args.join(' ')}: ${show(r)}`)
        }
      } finally {
        removeDir(project)
      }
    } finally {
      removeDir(empty)
    }
  })
})

/**
 * A Bun executable, unless built with --no-compile-autoload-bunfig / --no-compile-autoload-dotenv
 * (scripts/build.mjs), reads bunfig.toml and .env from the working directory on its own: a bunfig
 * `preload` runs arbitrary code, and .env ends up in process.env. pulpo itself reads the
 * *project's* .env (next to pulpo.yaml) for interpolation, by design. So the file lives in one
 * directory (proj/) and pulpo runs from another (work/), which holds the bunfig.toml and .env: only
 * Bun's autoload could bring work/.env into play.
 */
describe('no autoload of bunfig.toml or .env from the working directory', () => {
  let root: string
  const work = () => join(root, 'work')
  const marker = () => join(root, 'work', 'PRELOADED')

  before(() => {
    root = tempDir()
    writeFiles(root, {
      'proj/pulpo.yaml': [
        'version: 1',
        'project: autoload',
        'env:',
        '  FROM_CWD_DOTENV: ${WORK_DOTENV_VAR:-unset}',
        '  FROM_CWD_DOTENV_LOCAL: ${WORK_DOTENV_LOCAL_VAR:-unset}',
        '  FROM_CWD_DOTENV_PRODUCTION: ${WORK_DOTENV_PRODUCTION_VAR:-unset}',
        '  FROM_PROJECT_DOTENV: ${PROJECT_DOTENV_VAR:-unset}',
        'services: {}',
        '',
      ].join('\n'),
      'proj/.env': 'PROJECT_DOTENV_VAR=from-project\n',
      // Bun's autoload reads .env, .env.<NODE_ENV> and .env.local.
      'work/.env': 'WORK_DOTENV_VAR=leaked-from-cwd\n',
      'work/.env.local': 'WORK_DOTENV_LOCAL_VAR=leaked-from-cwd\n',
      'work/.env.production': 'WORK_DOTENV_PRODUCTION_VAR=leaked-from-cwd\n',
      'work/bunfig.toml': 'preload = ["./evil.ts"]\n',
      'work/evil.ts': `import { writeFileSync } from 'node:fs'\nwriteFileSync(${JSON.stringify(marker())}, 'preload ran')\n`,
    })
  })

  after(() => removeDir(root))

  test("a bunfig.toml preload in the working directory does not run", async () => {
    for (const args of [['--version'], ['validate', '-c', '../proj/pulpo.yaml']]) {
      const r = await run(args, { cwd: work() })
      assert.equal(r.exitCode, 0, `${args.join(' ')}: ${show(r)}`)
      if (existsSync(marker())) assert.fail(`bunfig.toml's preload ran (${args.join(' ')}): ${readFileSync(marker(), 'utf8')}`)
    }
  })

  test("the working directory's .env does not reach process.env", async () => {
    // NODE_ENV=production: Bun's autoload would then read .env.production as well.
    const r = await run(['config', '--json', '-c', '../proj/pulpo.yaml'], { cwd: work(), vars: { NODE_ENV: 'production' } })
    assert.equal(r.exitCode, 0, show(r))
    const env = JSON.parse(r.stdout).env
    assert.deepEqual(
      { FROM_CWD_DOTENV: env.FROM_CWD_DOTENV, FROM_CWD_DOTENV_LOCAL: env.FROM_CWD_DOTENV_LOCAL, FROM_CWD_DOTENV_PRODUCTION: env.FROM_CWD_DOTENV_PRODUCTION },
      { FROM_CWD_DOTENV: 'unset', FROM_CWD_DOTENV_LOCAL: 'unset', FROM_CWD_DOTENV_PRODUCTION: 'unset' },
      "the runtime loaded the working directory's .env files into the environment",
    )
    // The controls: the project's .env is read (the spec), and a real environment variable is seen,
    // so 'unset' above means the variable was absent, not that interpolation ignores the environment.
    assert.equal(env.FROM_PROJECT_DOTENV, 'from-project')
    const control = await run(['config', '--json', '-c', '../proj/pulpo.yaml'], { cwd: work(), vars: { WORK_DOTENV_VAR: 'from-shell' } })
    assert.equal(JSON.parse(control.stdout).env.FROM_CWD_DOTENV, 'from-shell', show(control))
  })
})
