/**
 * The example project's operations (pulpo.example.yaml, code in examples/) run by the BUILT binary
 * through the project's Prefect server, as Prefect records them: a copy of the example whose only
 * change is free ports (examples/ and .venv linked back into the repository), with `pulpo up db
 * prefect jobboard` — MongoDB (mongod, or FerretDB from scripts/setup-mongodb.sh), the Prefect
 * server and the local job board the scrapers read. Then scraping_flow (its subflows nested under
 * it), scraping.linkedin on its own with pages=2, parsing_flow and the standalone validate_flow.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EXAMPLE, removeDir } from '../cli/helpers.js'
import { assertVenv, ensureBinary, freePorts, PrefectProject, ROOT, type ApiFlowRun } from './helpers.js'

let p: PrefectProject

/**
 * The example in a temporary project: every `port: N` a free port (PrefectProject gives the
 * prefect service's 4200 one), examples/ and .venv linked back into the repository.
 */
async function exampleProject(): Promise<PrefectProject> {
  const staging = mkdtempSync(join(tmpdir(), 'pulpo-prefect-example-'))
  const yaml = readFileSync(EXAMPLE, 'utf8')
  const others = [...new Set([...yaml.matchAll(/port: (\d+)/g)].map((m) => m[1]).filter((n) => n !== '4200'))]
  const free = await freePorts(others.length)
  writeFileSync(join(staging, 'pulpo.yaml'), others.reduce((y, port, i) => y.replace(new RegExp(`port: ${port}\\b`, 'g'), `port: ${free[i]}`), yaml))
  const project = await PrefectProject.copy(staging, { env: process.env.PULPO_FERRETDB ? { PULPO_FERRETDB: process.env.PULPO_FERRETDB } : {} })
  removeDir(staging)
  symlinkSync(join(ROOT, 'examples'), project.path('examples'))
  symlinkSync(join(ROOT, '.venv'), project.path('.venv'))
  return project
}

before(async () => {
  assertVenv()
  await ensureBinary()
  p = await exampleProject()
  await p.up('db', 'prefect', 'jobboard')
}, { timeout: 300_000 })

after(async () => {
  await p?.cleanup()
}, { timeout: 120_000 })

const T = { timeout: 180_000 }
const baseName = (name: string) => name.replace(/-[0-9a-f]+$/, '')

describe("the example project's operations", () => {
  test('scraping_flow: stepstone and linkedin as child flow runs of the flow run, merge and store as its tasks', T, async () => {
    const { out } = await p.flow(['scraping_flow', '--param', 'keywords=python'])
    assert.equal(out.state, 'COMPLETED')
    const stored = out.result as { stored: number; inserted: number; updated: number }
    assert.ok(stored.stored > 0 && stored.inserted === stored.stored, JSON.stringify(stored))

    const top = await p.flowRun(out.flow_run_id)
    assert.equal(await p.flowName(top), 'scraping_flow')
    assert.equal(top.parent_task_run_id, null)
    const parentTasks = await p.settledTaskRuns(top.id, 4)
    const children = await p.childFlowRuns(top.id)
    const names = new Map<string, ApiFlowRun>()
    for (const c of children) names.set(await p.flowName(c), c)
    assert.deepEqual([...names.keys()].sort(), ['scraping.linkedin', 'scraping.stepstone'])
    for (const [name, child] of names) {
      assert.ok(parentTasks.some((t) => t.id === child.parent_task_run_id), `${name} is not linked to a task run of scraping_flow's run`)
      const [fetch] = await p.settledTaskRuns(child.id, 1)
      assert.equal(baseName(fetch.name), `${name}.fetch`)
    }
    assert.deepEqual(parentTasks.map((t) => baseName(t.name)).filter((n) => !n.includes('.stepstone') && !n.includes('.linkedin')).sort(), ['scraping.merge', 'scraping.store'])

    // Run again: every posting is already stored, so it is updated, not inserted.
    const again = await p.flow(['scraping', '--param', 'keywords=python'])
    assert.deepEqual(again.out.result, { stored: stored.stored, inserted: 0, updated: stored.stored })
  })

  test('scraping.linkedin on its own: --param pages=2 reads two pages', T, async () => {
    const one = await p.flow(['scraping.linkedin', '--param', 'keywords=python'])
    const two = await p.flow(['scraping.linkedin', '--param', 'keywords=python', '--param', 'pages=2'])
    const postings = (r: unknown) => r as { source: string; url: string }[]
    assert.ok(postings(two.out.result).every((j) => j.source === 'linkedin'))
    assert.ok(postings(two.out.result).length > postings(one.out.result).length, `pages=2 read no more than pages=1: ${postings(one.out.result).length} vs ${postings(two.out.result).length}`)
    assert.deepEqual((await p.flowRun(two.out.flow_run_id)).parameters, { keywords: 'python', pages: 2 })
  })

  test('parsing_flow cleans then validates the stored jobs; the standalone validate_flow counts them', T, async () => {
    const parsing = await p.flow(['parsing'])
    assert.equal(parsing.out.state, 'COMPLETED')
    const result = parsing.out.result as { valid: number; invalid: string[] }
    assert.ok(result.valid > 0)
    assert.deepEqual(result.invalid, [])
    const tasks = await p.settledTaskRuns(parsing.out.flow_run_id, 2)
    assert.deepEqual(tasks.map((t) => [baseName(t.name), t.state_type]).sort(), [['parsing.clean_text', 'COMPLETED'], ['parsing.validate', 'COMPLETED']])

    const validate = await p.flow(['validate'])
    assert.equal(validate.out.flow, 'validate_flow')
    assert.deepEqual(validate.out.result, { count: result.valid, duplicates: 0 })
  })
})
