/**
 * The pure stack generator (src/compile/stack.ts): no secret value in run_cache/stack.yml — an
 * environment variable's is a Swarm secret named in the file, a command argument's a
 * `${PULPO_SECRET_...}` variable that `docker stack deploy` gets in its environment.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { compileStack, stackSecrets } from '../../src/compile/stack.js'
import { loadProject } from '../../src/config/load.js'

const dirs: string[] = []
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

const SECRET = 'hunter2-correct-horse'

function project(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'pulpo-stack-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'pulpo.yaml'), yaml)
  writeFileSync(join(dir, '.env'), `DB_PASSWORD=${SECRET}\n`)
  return loadProject({ config: join(dir, 'pulpo.yaml') })
}

describe('stack file secrets', () => {
  const p = project(`version: 1
project: shop
mode: swarm
services:
  worker:
    image: app:1
    command: [python, -m, worker, "--db=mongodb://app:\${DB_PASSWORD}@db:27017/shop"]
    env:
      MONGO_URL: "mongodb://app:\${DB_PASSWORD}@db:27017/shop"
      MODE: batch
    ready:
      exec: [check, "mongodb://app:\${DB_PASSWORD}@db:27017/shop"]
`)

  it('writes no secret value, whether in the environment, a command argument or an exec probe', () => {
    const { file, secrets } = compileStack(p, {})
    assert.ok(!file.content.includes(SECRET), file.content)
    const worker = parse(file.content).services.worker
    assert.deepEqual(worker.command, ['python', '-m', 'worker', '${PULPO_SECRET_WORKER_COMMAND_3}'])
    assert.deepEqual(worker.healthcheck.test, ['CMD', 'check', '${PULPO_SECRET_WORKER_READY_1}'])
    assert.deepEqual(secrets, { PULPO_SECRET_WORKER_COMMAND_3: `--db=mongodb://app:${SECRET}@db:27017/shop`, PULPO_SECRET_WORKER_READY_1: `mongodb://app:${SECRET}@db:27017/shop` })
    assert.equal(worker.environment.MODE, 'batch')
    assert.equal(worker.environment.MONGO_URL, undefined)
    assert.deepEqual(stackSecrets(p).map((x) => x.key), ['MONGO_URL'])
  })
})
