/**
 * `status`, `up` and `validate` are answered by main.ts without oclif when their arguments are
 * exactly their own flags (and, for up, service names), read as oclif reads them; anything else
 * goes to oclif (help, usage errors: test/cli/without-oclif.test.ts).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { quickArgs } from '../../src/without-oclif.js'

const quick = (command: string, flags: object, more: object = {}) => ({ command, flags, json: false, pruneIndexes: false, services: [], ...more })

test('status is read without oclif only with its own flags, each once', () => {
  const env = {}
  assert.deepEqual(quickArgs(['status'], env), quick('status', {}))
  assert.deepEqual(quickArgs(['status', '--json', '-c', 'p.yaml', '-e', 'prod'], env), quick('status', { config: 'p.yaml', env: 'prod' }, { json: true }))
  assert.deepEqual(quickArgs(['status', '--config=a=b.yaml', '--env=dev'], env), quick('status', { config: 'a=b.yaml', env: 'dev' }))
  assert.deepEqual(quickArgs(['status', '-p', 'jobs', '--project', 'x'], env), undefined)
  assert.deepEqual(quickArgs(['status', '--project', 'jobs', '--json'], env), quick('status', { project: 'jobs' }, { json: true }))
  for (const argv of [
    ['logs'],
    ['--json', 'status'],
    ['status', '--help'],
    ['status', '-h'],
    ['status', '--bogus'],
    ['status', 'api'],
    ['status', '--'],
    ['status', '--json', '--json'],
    ['status', '--json=true'],
    ['status', '--prune-indexes'],
    ['status', '-e'],
    ['status', '-e', ''],
    ['status', '--env='],
    ['status', '-e', '--json'],
    ['status', '-e', '-x'],
    ['status', '-edev'],
    ['status', '-e=dev'],
    ['status', '--en', 'dev'],
    ['status', '-e', 'a', '-e', 'b'],
    ['status', '-c', 'a.yaml', '-p', 'jobs'],
    ['toString'],
    ['__proto__'],
  ]) assert.equal(quickArgs(argv, env), undefined, argv.join(' '))
  // What oclif reads from the environment is oclif's.
  assert.equal(quickArgs(['status'], { PULPO_CONTENT_TYPE: 'json' }), undefined)
  assert.equal(quickArgs(['status'], { DEBUG: '*' }), undefined)
})

test('up is read without oclif with its flags and service names', () => {
  const env = {}
  assert.deepEqual(quickArgs(['up'], env), quick('up', {}))
  assert.deepEqual(quickArgs(['up', 'api', '-e', 'prod', 'db', '--json'], env), quick('up', { env: 'prod' }, { json: true, services: ['api', 'db'] }))
  assert.deepEqual(quickArgs(['up', '--prune-indexes', '--config=x.yaml'], env), quick('up', { config: 'x.yaml' }, { pruneIndexes: true }))
  for (const argv of [
    ['up', '-p', 'jobs'],
    ['up', '--project=jobs'],
    ['up', '--prune-indexes', '--prune-indexes'],
    ['up', '--', 'api'],
    ['up', ''],
    ['up', '-x'],
    ['up', '--help'],
    ['up', 'api', '-e'],
  ]) assert.equal(quickArgs(argv, env), undefined, argv.join(' '))
})

test('validate is read without oclif with -c, -e and --json only', () => {
  const env = {}
  assert.deepEqual(quickArgs(['validate', '-c', 'big.yaml'], env), quick('validate', { config: 'big.yaml' }))
  assert.deepEqual(quickArgs(['validate', '--env', 'prod', '--json'], env), quick('validate', { env: 'prod' }, { json: true }))
  for (const argv of [['validate', 'api'], ['validate', '-p', 'x'], ['validate', '--prune-indexes'], ['validate', '-h']]) assert.equal(quickArgs(argv, env), undefined, argv.join(' '))
})
