/**
 * Connection strings never print credentials: a MongoDB URL with a password from a secret-looking
 * variable (DB_PASSWORD in .env) is given to services, which print it; no output of pulpo shows the
 * password, in human or --json form, whether the service runs or fails.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ensureBinary, freePorts, json, Project, show, type Run, requireServer } from './helpers.js'

const PASSWORD = 'hunter2-Sup3rSecret'
const LITERAL = 'plainpass-in-yaml'

const yaml = (port: number, withCrash: boolean) => `version: 1
project: creds
services:
  db:
    kind: mongodb
    port: ${port}
  app:
    command: echo "connecting to $$MONGO_URL"; exec sleep 600
    env:
      MONGO_URL: mongodb://app:\${DB_PASSWORD}@\${services.db.host}:\${services.db.port}/creds?authSource=admin
      PLAIN_URL: \${services.db.url}/creds
    depends_on: { db: healthy }
${
  withCrash
    ? `  crash:
    command: echo "cannot connect to $$MONGO_URL"; exit 3
    env:
      MONGO_URL: mongodb://app:\${DB_PASSWORD}@\${services.db.host}:\${services.db.port}/creds
    depends_on: { db: healthy }
`
    : ''
}datamodels:
  jobs:
    indexes:
      - { keys: { url: 1 }, unique: true }
`

let port: number
let project: Project

/** Runs pulpo and keeps the output, which must never hold the password. */
async function run(args: string[], code = 0): Promise<Run> {
  const r = await project.ok(args, code)
  assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), `pulpo ${args.join(' ')} prints the password: ${show(r)}`)
  return r
}

requireServer()
before(ensureBinary)

describe('a MongoDB URL with a password from .env', () => {
  before(async () => {
    ;[port] = await freePorts(1)
    project = new Project({ '.env': `DB_PASSWORD=${PASSWORD}\n`, 'pulpo.yaml': yaml(port, false) })
    project.watchPorts(port)
  })
  after(() => project?.dispose())

  test('config shows the URL with the password masked, and the plain service URL without credentials', async () => {
    const r = await run(['config'])
    assert.ok(r.stdout.includes(`mongodb://app:***@127.0.0.1:${port}/creds`), show(r))
    const env = json(await run(['config', '--json'])).services.app.env
    assert.equal(env.MONGO_URL, `mongodb://app:***@127.0.0.1:${port}/creds?authSource=admin`)
    assert.equal(env.PLAIN_URL, `mongodb://127.0.0.1:${port}/creds`)
  })

  test('up, status, plan and logs of a running service that prints the URL', async () => {
    await run(['up'])
    await run(['up', '--json'])
    await run(['status'])
    await run(['status', '--json'])
    await run(['plan'])
    await run(['plan', '--json'])
    const logs = await run(['logs', 'app'])
    assert.ok(logs.stdout.includes(`connecting to mongodb://app:***@127.0.0.1:${port}/creds`), show(logs))
  })

  test('the failure output of a service that prints the URL and exits', async () => {
    project.write({ 'pulpo.yaml': yaml(port, true) })
    const r = await run(['up'], 1)
    assert.match(r.stderr, /✖ crash: exited with code 3/, show(r))
    assert.ok(r.stderr.includes(`cannot connect to mongodb://app:***@127.0.0.1:${port}/creds`), `the log line is shown, masked: ${show(r)}`)
    await run(['logs', 'crash'])
  })

  test('up --json: the failed service\'s log lines are masked', async () => {
    const r = await run(['up', '--json'], 1)
    const crash = json(r).results.find((x: { service: string }) => x.service === 'crash')
    assert.ok(crash.logs.some((l: string) => l.includes('mongodb://app:***@')), JSON.stringify(crash))
  })

  // Not only the values of secret-looking variables: a password written into a URL itself.
  test('a password written literally into a mongodb:// URL is not printed either', async () => {
    project.write({ 'pulpo.yaml': yaml(port, false).replace('PLAIN_URL: ${services.db.url}/creds', `PLAIN_URL: mongodb://admin:${LITERAL}@127.0.0.1:${port}/creds`) })
    const r = await project.ok(['config'])
    assert.ok(!r.stdout.includes(LITERAL), show(r))
  })
})
