/**
 * `pulpo status` is answered by main.ts without oclif when its arguments are exactly its own flags,
 * read as oclif reads them; anything else goes to oclif (help, usage errors: test/cli/status-fast.test.ts).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { statusArgs } from '../../src/status-args.js'

test('status is read without oclif only with its own flags, each once', () => {
  const env = {}
  assert.deepEqual(statusArgs(['status'], env), { flags: {}, json: false })
  assert.deepEqual(statusArgs(['status', '--json', '-c', 'p.yaml', '-e', 'prod'], env), { flags: { config: 'p.yaml', env: 'prod' }, json: true })
  assert.deepEqual(statusArgs(['status', '--config=a=b.yaml', '--env=dev'], env), { flags: { config: 'a=b.yaml', env: 'dev' }, json: false })
  assert.deepEqual(statusArgs(['status', '-p', 'jobs', '--project', 'x'], env), undefined)
  assert.deepEqual(statusArgs(['status', '--project', 'jobs', '--json'], env), { flags: { project: 'jobs' }, json: true })
  for (const argv of [
    ['up'],
    ['--json', 'status'],
    ['status', '--help'],
    ['status', '-h'],
    ['status', '--bogus'],
    ['status', 'api'],
    ['status', '--'],
    ['status', '--json', '--json'],
    ['status', '--json=true'],
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
  ]) assert.equal(statusArgs(argv, env), undefined, argv.join(' '))
  // What oclif reads from the environment is oclif's.
  assert.equal(statusArgs(['status'], { PULPO_CONTENT_TYPE: 'json' }), undefined)
  assert.equal(statusArgs(['status'], { DEBUG: '*' }), undefined)
})
