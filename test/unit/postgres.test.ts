/** kind: postgres, the parts that need no server: finding the binaries, and what a missing or mismatched one says. */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Service } from '../../src/config/types.js'
import { PulpoError } from '../../src/errors.js'
import { postgresContainer } from '../../src/kinds/postgres.js'
import { binariesFor, credentialsOf, findBinaries } from '../../src/postgres/local.js'
import { ident } from '../../src/postgres/wire.js'

const service = { name: 'pg', env: {} } as unknown as Service

test('no server binaries on PATH nor under the Debian directory: an error that names the package to install', () => {
  const empty = mkdtempSync(join(tmpdir(), 'pulpo-pg-'))
  try {
    assert.equal(findBinaries(empty, undefined, join(empty, 'none')), undefined)
    assert.throws(
      () => binariesFor(service, join(empty, 'data'), empty, join(empty, 'none')),
      (e: unknown) => e instanceof PulpoError && /needs the PostgreSQL server binaries/.test(e.message) && e.hints.some((h) => /apt-get install postgresql\b/.test(h)),
    )
  } finally {
    rmSync(empty, { recursive: true, force: true })
  }
})

test('a data directory of another major version is named as such, and left alone', () => {
  const bins = findBinaries(process.env.PATH ?? '')
  assert.ok(bins, 'the test machine has PostgreSQL server binaries')
  const dir = mkdtempSync(join(tmpdir(), 'pulpo-pg-'))
  try {
    const data = join(dir, 'pg')
    mkdirSync(data)
    writeFileSync(join(data, 'PG_VERSION'), '9\n')
    assert.throws(
      () => binariesFor(service, data, process.env.PATH ?? '', join(dir, 'none')),
      (e: unknown) => e instanceof PulpoError && e.message.includes('initialised by PostgreSQL 9') && e.message.includes(`PostgreSQL ${bins.major}`) && e.hints.some((h) => /does not delete it/.test(h)),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('credentials: POSTGRES_USER (default postgres) and POSTGRES_PASSWORD, as the official image reads them', () => {
  assert.deepEqual(credentialsOf({ env: { POSTGRES_PASSWORD: 'x' } }), { user: 'postgres', password: 'x' })
  assert.deepEqual(credentialsOf({ env: { POSTGRES_USER: 'app', POSTGRES_PASSWORD: 'y' } }), { user: 'app', password: 'y' })
})

test('identifiers are quoted, never spliced', () => {
  assert.equal(ident('prefect'), '"prefect"')
  assert.equal(ident('a"; DROP DATABASE x; --'), '"a""; DROP DATABASE x; --"')
})

test('the container definition (for compose and swarm): postgres:16 unless image: says otherwise, pg_isready on the port, the fast shutdown signal', () => {
  const c = postgresContainer({ ...service, port: 5433 } as Service)
  assert.equal(c.image, 'postgres:16')
  assert.deepEqual(c.command, ['postgres', '-p', '5433', '-c', 'listen_addresses=*'])
  assert.equal(c.environment.PULPO_PROBE_PORT, '5433')
  assert.match(c.healthcheck[1], /pg_isready/)
  assert.equal(c.stopSignal, 'SIGINT')
  assert.equal(postgresContainer({ ...service, image: 'local/pg' } as Service).image, 'local/pg')
})
