/**
 * Where pulpo reaches a service from this machine, decided once (probes/probe.ts) for the probes,
 * the datamodels' connection and `prefect run`'s API URL.
 */
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeProbe, hostOf, probeHost } from '../../src/probes/probe.js'
import { loadProject } from '../../src/config/load.js'
import { prefectApiUrl } from '../../src/prefect/run.js'
import { mongoUrl } from '../../src/app/datamodels.js'
import type { Backend } from '../../src/backends/backend.js'

describe('probeHost', () => {
  for (const [bind, host] of [['127.0.0.1', '127.0.0.1'], ['0.0.0.0', '127.0.0.1'], ['::', '127.0.0.1'], ['::1', '::1'], ['10.1.2.3', '10.1.2.3']]) {
    test(`${bind} is reached on ${host}`, () => assert.equal(probeHost(bind), host))
  }
  test('a container is reached on the loopback whatever the bind', () => assert.equal(hostOf({ mode: 'docker', bind: '10.1.2.3' }), '127.0.0.1'))
})

describe('describeProbe', () => {
  const CASES: [Parameters<typeof describeProbe>[0], string | undefined, string][] = [
    [{ kind: 'http', path: '/health', port: 80, intervalMs: 1000, timeoutMs: 1000 }, '127.0.0.1', 'GET http://127.0.0.1:80/health'],
    [{ kind: 'http', path: '/health', port: 80, intervalMs: 1000, timeoutMs: 1000 }, '::1', 'GET http://[::1]:80/health'],
    [{ kind: 'http', path: '/health', port: 80, intervalMs: 1000, timeoutMs: 1000 }, undefined, 'GET /health on port 80'],
    [{ kind: 'tcp', port: 5432, intervalMs: 1000, timeoutMs: 1000 }, undefined, 'tcp port 5432'],
    [{ kind: 'mongodb', port: 27017, intervalMs: 1000, timeoutMs: 1000 }, undefined, 'mongodb ping on port 27017'],
    [{ kind: 'log', pattern: 'ready', intervalMs: 1000, timeoutMs: 1000 }, undefined, 'log /ready/'],
    [{ kind: 'exec', command: ['true'], intervalMs: 1000, timeoutMs: 1000 }, undefined, 'exec ["true"]'],
  ]
  for (const [probe, host, text] of CASES) test(text, () => assert.equal(describeProbe(probe, host), text))
})

describe('a project that binds every address (::)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulpo-probe-'))
  writeFileSync(
    join(dir, 'pulpo.yaml'),
    `version: 1
project: wild
environment: dev
environments:
  dev: { bind: '::' }
services:
  prefect: { kind: prefect, port: 4999 }
  db: { kind: mongodb, port: 27999 }
`,
  )
  const project = loadProject({ config: join(dir, 'pulpo.yaml') })
  rmSync(dir, { recursive: true, force: true })
  // Only observe is called: whether the Prefect server runs.
  const running = { observe: async () => ({ actual: [{ name: 'prefect', state: 'running', health: 'healthy', ports: [], restarts: 0 }], notes: [] }) } as unknown as Backend

  test('prefect run reaches the Prefect server on the loopback', async () => assert.equal(await prefectApiUrl(project, running), 'http://127.0.0.1:4999/api'))
  test('datamodels reach the database on the loopback', () => assert.equal(mongoUrl(project, 'db'), 'mongodb://127.0.0.1:27999/?directConnection=true'))
})
