/**
 * Docker mode reads containers from the Engine API only where the Docker CLI would talk to the same
 * local socket: a remote DOCKER_HOST, a chosen context, or no `docker` on PATH keep the CLI (and
 * its errors). A stand-in Engine on a Unix socket answers the requests.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { engineGet, localSocket } from '../../src/backends/docker/api.js'

const dir = mkdtempSync(join(tmpdir(), 'pulpo-docker-api-'))
const bin = join(dir, 'bin')
const noContext = join(dir, 'config-none')
const withContext = join(dir, 'config-context')
const socket = join(dir, 'engine.sock')
let server: Server

before(async () => {
  mkdirSync(bin)
  writeFileSync(join(bin, 'docker'), '#!/bin/sh\nexit 0\n')
  chmodSync(join(bin, 'docker'), 0o755)
  mkdirSync(noContext)
  writeFileSync(join(noContext, 'config.json'), '{"auths": {}}')
  mkdirSync(withContext)
  writeFileSync(join(withContext, 'config.json'), '{"currentContext": "remote"}')
  server = createServer((req, res) => {
    if (req.url === '/containers/json?all=1') return void res.end('[{"Id": "abc"}]')
    res.statusCode = 404
    res.end('{"message": "No such container"}')
  })
  await new Promise<void>((r) => server.listen(socket, r))
})
after(async () => {
  await new Promise((r) => server.close(r))
  rmSync(dir, { recursive: true, force: true })
})

const env = (over: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ PATH: bin, DOCKER_CONFIG: noContext, ...over })

test('the local socket when the CLI would use it', () => {
  assert.equal(localSocket(env({})), '/var/run/docker.sock')
  assert.equal(localSocket(env({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })), '/run/user/1000/docker.sock')
  assert.equal(localSocket(env({ DOCKER_CONTEXT: 'default' })), '/var/run/docker.sock')
  // DOCKER_HOST wins over the config's context, as in the CLI.
  assert.equal(localSocket(env({ DOCKER_CONFIG: withContext, DOCKER_HOST: 'unix:///x.sock' })), '/x.sock')
})

test('the CLI wherever it would go elsewhere, or is missing', () => {
  assert.equal(localSocket(env({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })), undefined)
  assert.equal(localSocket(env({ DOCKER_HOST: 'ssh://me@server' })), undefined)
  assert.equal(localSocket(env({ DOCKER_CONTEXT: 'remote' })), undefined)
  assert.equal(localSocket(env({ DOCKER_CONFIG: withContext })), undefined)
  assert.equal(localSocket(env({ PATH: join(dir, 'nowhere') })), undefined)
})

test('a 200 answer is parsed; anything else rejects (and docker mode falls back to the CLI)', async () => {
  assert.deepEqual(await engineGet(socket, '/containers/json?all=1'), [{ Id: 'abc' }])
  await assert.rejects(engineGet(socket, '/containers/nope/json'), /HTTP 404/)
  await assert.rejects(engineGet(join(dir, 'absent.sock'), '/containers/json'))
})
