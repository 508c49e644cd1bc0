import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readSource } from '../../src/config/source.js'
import { interpolateTyped } from '../../src/config/typed.js'

const dir = mkdtempSync(join(tmpdir(), 'pulpo-typed-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const VARS: Record<string, string> = { PORT: '8081', ZERO_PADDED: '007', ON: 'true' }

function typed(yaml: string) {
  const file = join(dir, 'pulpo.yaml')
  writeFileSync(file, yaml)
  return interpolateTyped(readSource(file, dir), (name) => VARS[name])
}

describe('non-text fields are interpolated before the schema', () => {
  test('an integer, a boolean, one in an environment override; text fields are left alone', () => {
    const r = typed(`version: 1
services:
  web:
    port: \${PORT}
    persist: $ON
    ready: { tcp: "\${UNSET:-9000}" }
    env: { CODE: "\${ZERO_PADDED}" }
    command: echo \${PORT}
environments:
  prod:
    services:
      web:
        port: \${UNSET:-80}
`)
    assert.deepEqual(r.problems, [])
    const data = r.data as { services: { web: Record<string, unknown> }; environments: { prod: { services: { web: { port: unknown } } } } }
    assert.equal(data.services.web.port, 8081)
    assert.equal(data.services.web.persist, true)
    assert.deepEqual(data.services.web.ready, { tcp: 9000 })
    assert.deepEqual(data.services.web.env, { CODE: '${ZERO_PADDED}' })
    assert.equal(data.services.web.command, 'echo ${PORT}')
    assert.equal(data.environments.prod.services.web.port, 80)
  })

  test('a value that is not a number stays text, for the schema to locate; a broken reference is located', () => {
    const r = typed('version: 1\nservices:\n  web:\n    port: ${ZERO_PADDED}x\n  api:\n    port: ${PORT\n')
    assert.equal((r.data as { services: { web: { port: unknown } } }).services.web.port, '007x')
    assert.equal(r.problems.length, 1)
    assert.deepEqual([r.problems[0].line, r.problems[0].path], [6, '/services/api/port'])
    assert.match(r.problems[0].message, /unterminated/)
  })

  test("${VAR:?} in another environment's override is required only there", () => {
    const yaml = 'version: 1\nservices:\n  web:\n    port: 80\nenvironments:\n  dev: {}\n  prod:\n    services:\n      web:\n        port: ${PROD_PORT:?set PROD_PORT}\n'
    const file = join(dir, 'envs.yaml')
    writeFileSync(file, yaml)
    const source = readSource(file, dir)
    const dev = interpolateTyped(source, (n) => VARS[n], 'dev')
    assert.deepEqual(dev.problems, [])
    // Left as text, and the schema's type error at that place is not reported.
    assert.deepEqual([...dev.unchecked], ['/environments/prod/services/web/port'])
    assert.match(interpolateTyped(source, (n) => VARS[n], 'prod').problems[0]?.message ?? '', /PROD_PORT is not set: set PROD_PORT/)
  })
})
