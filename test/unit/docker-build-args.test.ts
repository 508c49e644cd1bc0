/**
 * `docker build` never gets a secret build arg on its command line (visible to every user of the
 * machine): the arg is passed by name and its value in the CLI's environment. A stand-in `docker`
 * on PATH records what it was given.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DockerCli } from '../../src/images/docker.js'

const dir = mkdtempSync(join(tmpdir(), 'pulpo-docker-args-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('a build arg holding a secret is passed by name, its value in the environment', async () => {
  const out = join(dir, 'seen')
  writeFileSync(join(dir, 'docker'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${out}'\nprintf 'TOKEN=%s\\nURL=%s\\n' "$API_TOKEN" "$INDEX_URL" >> '${out}'\n`)
  chmodSync(join(dir, 'docker'), 0o755)
  const path = process.env.PATH
  process.env.PATH = `${dir}:${path}`
  try {
    const spec = { context: dir, args: { BASE: 'python:3.12-slim', API_TOKEN: 'tok-123456', INDEX_URL: 'https://u:pw-98765@pypi.example/simple', NOTE: 'has s3cr3t-value' } }
    const r = await new DockerCli().build(spec, 'app:1', {}, () => {}, undefined, ['s3cr3t-value'])
    assert.ok(r.ok)
  } finally {
    process.env.PATH = path
  }
  const seen = readFileSync(out, 'utf8').split('\n')
  assert.ok(seen.includes('BASE=python:3.12-slim'), seen.join('\n'))
  for (const name of ['API_TOKEN', 'INDEX_URL', 'NOTE']) assert.ok(seen.includes(name), `${name} by name:\n${seen.join('\n')}`)
  for (const secret of ['tok-123456', 'pw-98765', 's3cr3t-value']) assert.ok(!seen.slice(0, -3).join('\n').includes(secret), `${secret} on the command line:\n${seen.join('\n')}`)
  assert.ok(seen.includes('TOKEN=tok-123456') && seen.includes('URL=https://u:pw-98765@pypi.example/simple'), seen.join('\n'))
})
