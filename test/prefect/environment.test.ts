/**
 * `pulpo prefect run` and `deploy` without the project's Prefect server, and with a Python that
 * cannot run flows, with the BUILT binary: Prefect's ephemeral mode (slow to start, so one run),
 * a venv without Prefect (an install hint), an interpreter that does not exist or is not on PATH,
 * operations that cannot be imported, and --deployment / deploy while the server is down.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { removeDir, writeFiles } from '../cli/helpers.js'
import { assertNoStackTrace, assertVenv, ensureBinary, PrefectProject, scratchDir, show } from './helpers.js'

let p: PrefectProject
const dirs: string[] = []

before(async () => {
  assertVenv()
  await ensureBinary()
  p = await PrefectProject.copy('pipeline')
}, { timeout: 120_000 })

after(async () => {
  dirs.forEach(removeDir)
  await p?.cleanup()
}, { timeout: 120_000 })

const T = { timeout: 240_000 }

describe('without the project Prefect server', () => {
  test("runs in Prefect's ephemeral mode, says so, and leaves no process behind", T, async () => {
    const r = await p.run(['prefect', 'run', 'scraping.stepstone', '--param', 'keywords=eph'])
    assert.equal(r.exitCode, 0, show(r))
    assert.match(r.stderr, /running scraping\.stepstone in Prefect's ephemeral mode \(the project's Prefect server is not up\)/)
    assert.match(r.stdout, /"keywords": "eph"/)
    // No telemetry attempt (it fails, loudly, where there is no network).
    assert.doesNotMatch(r.stderr, /telemetry/i)
    assertNoStackTrace(r)
    assert.deepEqual(await p.waitForNoLeftovers(), [], 'the ephemeral server outlived the run')
  })

  test('--deployment and deploy need the server: exit 1 and how to start it', T, async () => {
    const run = await p.run(['prefect', 'run', 'hello', '--deployment'])
    assert.equal(run.exitCode, 1, show(run))
    assert.match(run.stderr, /--deployment runs through the project's Prefect server, which is not running[\s\S]*pulpo up/)
    assertNoStackTrace(run)
    const deploy = await p.run(['prefect', 'deploy'])
    assert.equal(deploy.exitCode, 1, show(deploy))
    assert.match(deploy.stderr, /the project's Prefect server is not running[\s\S]*pulpo up/)
    assertNoStackTrace(deploy)
  })
})

describe("the project's Python", () => {
  test('a venv without Prefect: exit 1, a clear message and the install command', T, async () => {
    const dir = scratchDir()
    dirs.push(dir)
    execFileSync('python3', ['-m', 'venv', '--without-pip', join(dir, 'bare')])
    const python = join(dir, 'bare', 'bin', 'python')
    const r = await p.run(['prefect', 'run', 'hello'], { PULPO_PYTHON: python })
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, new RegExp(`Prefect is not installed in ${python.replace(/[./]/g, '\\$&')}: No module named 'prefect'`))
    assert.match(r.stderr, new RegExp(`hint: install it: ${python.replace(/[./]/g, '\\$&')} -m pip install 'prefect>=3,<4'`))
    assertNoStackTrace(r)
    const json = await p.run(['prefect', 'run', 'hello', '--json'], { PULPO_PYTHON: python })
    assert.equal(json.exitCode, 1, show(json))
    assert.equal(JSON.parse(json.stdout).error.code, 'prefect-missing')
  })

  test('an interpreter that does not exist, or is not on PATH: exit 1 with what to set, no crash', T, async () => {
    const missing = await p.run(['prefect', 'run', 'hello'], { PULPO_PYTHON: join(p.root, 'no-venv', 'bin', 'python') })
    assert.equal(missing.exitCode, 1, show(missing))
    assert.match(missing.stderr, /the project's Python .*no-venv\/bin\/python does not exist/)
    assertNoStackTrace(missing)
    const notOnPath = await p.run(['prefect', 'run', 'hello'], { PULPO_PYTHON: 'python-that-is-not-installed' })
    assert.equal(notOnPath.exitCode, 1, show(notOnPath))
    assert.match(notOnPath.stderr, /python-that-is-not-installed is not on PATH[\s\S]*hint: set python: in pulpo\.yaml/)
    assert.doesNotMatch(notOnPath.stderr, /internal error|Bun v/)
    assertNoStackTrace(notOnPath)
  })

  test("an operation whose module cannot be imported: exit 1 naming the module, the Python error", T, async () => {
    const dir = scratchDir()
    dirs.push(dir)
    writeFiles(dir, {
      'pulpo.yaml': 'version: 1\nproject: unimportable\npython_path: [.]\noperations:\n  fine: { run: good:fine }\n  broken: { run: missing_module:fn }\n',
      'good.py': 'def fine():\n    return "fine"\n',
    })
    const r = await p.run(['prefect', 'run', 'broken', '-c', join(dir, 'pulpo.yaml')])
    assert.equal(r.exitCode, 1, show(r))
    assert.match(r.stderr, /cannot load broken_flow: ModuleNotFoundError: No module named 'missing_module'[\s\S]*hint: check the run: targets/)
    assertNoStackTrace(r)
  })
})
