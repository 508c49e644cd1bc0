/**
 * Rolling updates in swarm mode, on the real cluster: a client inside the project's overlay
 * network requests the api by its service name in a bounded loop while `up` rolls out a new
 * version (start-first, healthchecks gating each step), and counts failed requests; then an
 * update whose new version fails its healthcheck is rolled back by Swarm, `up` exits 1 naming the
 * service, the task's error and its last log lines, and the old version keeps answering.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { assertNoStackTrace, ensureBinary, removeDir, show } from '../cli/helpers.js'
import { dockerOn, pulpo, swarm, uniqueName, type Swarm } from './helpers.js'
import { getJson, stackProject, stackYaml } from './stack.js'

/**
 * Requests http://api:8000/ until it has seen the wanted version answer 30 times in a row (or
 * LIMIT requests), then prints the counts. Each request resolves the name again (dnsrr: the
 * tasks' addresses) and, like any client of a name with several addresses, tries the next
 * address when one refuses.
 */
const CLIENT = `
import json, sys, time, urllib.request
want, limit = sys.argv[1], int(sys.argv[2])
ok = failed = streak = 0
errors, versions = [], {}
for i in range(limit):
    try:
        v = json.loads(urllib.request.urlopen("http://api:8000/", timeout=5).read())["version"]
        ok += 1
        versions[v] = versions.get(v, 0) + 1
        streak = streak + 1 if v == want else 0
        if streak >= 30:
            break
    except Exception as e:
        failed += 1
        errors.append(str(e))
    time.sleep(0.05)
print(json.dumps({"ok": ok, "failed": failed, "errors": errors[:10], "versions": versions}))
`

describe('rolling updates in swarm mode', () => {
  let s: Swarm
  let name: string
  let dir: string
  const env = { API_TOKEN: 'tok-update-0c7d2b' }
  const run = (...args: string[]) => pulpo([...args, '-e', 'prod'], { cwd: dir, env })
  const rewrite = (opts: Parameters<typeof stackYaml>[2]) => writeFileSync(join(dir, 'pulpo.yaml'), stackYaml(s, name, { apiTimeout: '15s', ...opts }))

  before(async () => {
    await ensureBinary()
    s = swarm()
    name = uniqueName('update')
    dir = stackProject(s, name, { apiTimeout: '15s' })
    const built = await run('build', '--push')
    assert.equal(built.exitCode, 0, show(built))
    const up = await run('up')
    assert.equal(up.exitCode, 0, show(up))
  })
  after(async () => {
    await run('down', '--volumes')
    await dockerOn(s.manager, 'rm', '-f', `${name}-client`).catch(() => '')
    removeDir(dir)
  })

  it('rolls out a new version while a client in the network sees no failed request', async () => {
    rewrite({ version: '2' })
    const plan = await run('plan')
    assert.match(plan.stdout, /~ api \(update\)[\s\S]*env\.VERSION/)
    await dockerOn(s.manager, 'run', '-d', '--name', `${name}-client`, '--network', `${name}_default`, s.baseImage, 'python3', '-c', CLIENT, '2', '4000')
    const up = await run('up')
    assert.equal(up.exitCode, 0, show(up))
    assert.equal((await dockerOn(s.manager, 'wait', `${name}-client`)).trim(), '0')
    const seen = JSON.parse((await dockerOn(s.manager, 'logs', `${name}-client`)).trim().split('\n').pop()!)
    assert.equal(seen.failed, 0, JSON.stringify(seen))
    assert.ok(seen.versions['1'] > 0 && seen.versions['2'] >= 30, JSON.stringify(seen))
    // Only the api rolled; what depends on nothing that changed stayed as it was.
    assert.match(up.stdout, /1 changed/)
  })

  it('rolls back an update whose new version fails its healthcheck, exits 1, and the old version keeps answering', async () => {
    rewrite({ version: '3', broken: true })
    const up = await run('up')
    assert.equal(up.exitCode, 1, show(up))
    assertNoStackTrace(up)
    assert.match(up.stderr, /✖ api: its update failed and Swarm rolled it back/)
    assert.match(up.stderr, /unhealthy/)
    assert.match(up.stderr, /the previous version serves again/)
    assert.match(up.stderr, /api listening on 8000/, 'the failing task’s last log lines')
    assert.equal((await getJson(s, name, 'http://api:8000/')).version, '2')
    const status = JSON.parse((await run('status', '--json')).stdout)
    const api = status.services.find((x: { name: string }) => x.name === 'api')
    assert.equal(api.update, 'rolled_back')
    assert.deepEqual(api.replicas, { running: 3, desired: 3 })
    // pulpo.yaml still wants version 3: the plan says so.
    assert.equal(api.action, 'update')
  })
})
