/**
 * The words of `down --volumes`' data outcomes (swarm): where each service's data was and what
 * became of it on stdout, what could not be deleted on stderr with the commands, and which fail.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { DataRemoval } from '../../src/backends/backend.js'
import { dataFailed, renderDataRemovals } from '../../src/render/data.js'

const removed: DataRemoval = { service: 'db', volume: 'jobs_db-data', node: 'node1', outcome: 'removed' }
const emptied: DataRemoval = { service: 'pg', volume: 'jobs_pg-data', node: 'node2', outcome: 'emptied', commands: ['on node2: docker container prune --force --filter label=dev.pulpo.data-rm=jobs_pg-data', 'then on node2: docker volume rm jobs_pg-data'] }
const failed: DataRemoval = { service: 'mq', volume: 'jobs_mq-data', node: 'node3', outcome: 'failed', reason: 'its node node3 is down: nothing can run there to delete it', commands: ['on node3: docker volume rm jobs_mq-data', 'then on a manager: docker node update --label-rm dev.pulpo.data.jobs.mq n3'] }
// Colours off: the text as a pipe gets it.
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '')

test('removed and emptied go to stdout with where; failed to stderr with why and the commands', () => {
  const words = renderDataRemovals([removed, emptied, failed])
  assert.deepEqual(plain(words.done).split('\n'), [
    '✔ db: volume jobs_db-data removed on node1',
    "✔ pg: data deleted on node2; its volume jobs_pg-data stays there, empty (pulpo reaches only the manager's daemon)",
    '  hint: on node2: docker container prune --force --filter label=dev.pulpo.data-rm=jobs_pg-data',
    '  hint: then on node2: docker volume rm jobs_pg-data',
  ])
  assert.deepEqual(plain(words.failed).split('\n'), [
    '',
    '✖ mq: its data on node3 was not deleted: its node node3 is down: nothing can run there to delete it',
    '  hint: on node3: docker volume rm jobs_mq-data',
    '  hint: then on a manager: docker node update --label-rm dev.pulpo.data.jobs.mq n3',
  ])
})

test('only a failed outcome fails down', () => {
  assert.equal(dataFailed([removed, emptied]), false)
  assert.equal(dataFailed([removed, failed]), true)
  assert.equal(dataFailed(undefined), false)
  assert.deepEqual(renderDataRemovals([]), { done: '', failed: '' })
})
