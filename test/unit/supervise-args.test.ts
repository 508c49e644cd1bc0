/**
 * `pulpo supervise`, as `pulpo up` starts it, is answered before oclif is loaded: exactly its two
 * flags are taken; anything else is left to the oclif command (help, usage errors).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { superviseArgs } from '../../src/backends/local/serve.js'

test('the supervisor is started without oclif only with exactly --dir and --project', () => {
  assert.deepEqual(superviseArgs(['supervise', '--dir', '/p', '--project', 'jobs']), { dir: '/p', project: 'jobs' })
  assert.deepEqual(superviseArgs(['supervise', '--project=jobs', '--dir=/p q']), { dir: '/p q', project: 'jobs' })
  for (const argv of [
    ['supervise'],
    ['supervise', '--help'],
    ['supervise', '--dir', '/p'],
    ['supervise', '--dir', '/p', '--project'],
    ['supervise', '--dir', '/p', '--project', ''],
    ['supervise', '--dir', '/p', '--dir', '/q', '--project', 'jobs'],
    ['supervise', '--dir', '/p', '--project', 'jobs', '--json'],
    ['up', '--dir', '/p', '--project', 'jobs'],
  ]) assert.equal(superviseArgs(argv), undefined, argv.join(' '))
})

test('a spare supervisor is started without oclif with exactly --spare', () => {
  assert.deepEqual(superviseArgs(['supervise', '--spare']), { spare: true })
  for (const argv of [['supervise', '--spare', '--spare'], ['supervise', '--spare', '--dir', '/p', '--project', 'jobs'], ['supervise', '--spare=1']]) assert.equal(superviseArgs(argv), undefined, argv.join(' '))
})
