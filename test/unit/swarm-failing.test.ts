/**
 * When a swarm service counts as failing (status) — each live replica slot's latest attempts failed
 * twice or more in a row, none running — read from task lists as `docker service ps` prints them:
 * newest first per slot, history after the current task.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { swarmInfo, viewOf } from '../../src/backends/swarm/observe.js'
import type { SwarmService, SwarmTask } from '../../src/backends/swarm/engine.js'

const service = (replicas: number): SwarmService => ({ ID: 'x', Spec: { Name: 'p_web', Mode: { Replicated: { Replicas: replicas } }, TaskTemplate: { ContainerSpec: { Image: 'reg/app:1' } } } })
let n = 0
const task = (slot: number, state: string, desired: string, error = ''): SwarmTask => ({ ID: `t${++n}`, Name: `p_web.${slot}`, Image: 'reg/app:1', Node: 'node1', DesiredState: desired, CurrentState: `${state} 3 seconds ago`, Error: error })
const failing = (replicas: number, tasks: SwarmTask[]) => swarmInfo(viewOf(service(replicas), tasks)).failing

describe('swarm: failing', () => {
  test('rejected again and again, a retry pending: failing, with the newest error', () => {
    const tasks = [task(1, 'Preparing', 'Running'), task(1, 'Rejected', 'Shutdown', 'No such image: reg/app:1'), task(1, 'Rejected', 'Shutdown', 'older'), task(1, 'Failed', 'Shutdown', 'task: non-zero exit (1)')]
    assert.deepEqual(failing(1, tasks), { tasks: 3, error: 'No such image: reg/app:1' })
  })

  test('one failure beside its replacement is a restart, not failing', () => {
    assert.equal(failing(1, [task(1, 'Starting', 'Running'), task(1, 'Failed', 'Shutdown', 'task: non-zero exit (1)')]), undefined)
  })

  test('old failures before a task that ran and was replaced (an update under way) are history', () => {
    const tasks = [task(1, 'Preparing', 'Running'), task(1, 'Shutdown', 'Shutdown'), task(1, 'Failed', 'Shutdown', 'x'), task(1, 'Failed', 'Shutdown', 'x')]
    assert.equal(failing(1, tasks), undefined)
  })

  test('a replica that runs, or one slot that still pulls, is no failing service', () => {
    const bad = [task(1, 'Rejected', 'Ready', 'No such image'), task(1, 'Rejected', 'Shutdown', 'No such image')]
    assert.equal(failing(2, [...bad, task(2, 'Running', 'Running')]), undefined)
    assert.equal(failing(2, [...bad, task(2, 'Preparing', 'Running')]), undefined)
    assert.ok(failing(2, [...bad, task(2, 'Failed', 'Ready', 'x'), task(2, 'Failed', 'Shutdown', 'x')]))
  })

  test('a slot scaled away or drained (its task removed, or shut down without failing) does not hide the failing ones', () => {
    const bad = [task(1, 'Rejected', 'Ready', 'No such image'), task(1, 'Rejected', 'Shutdown', 'No such image')]
    assert.deepEqual(failing(1, [...bad, task(2, 'Shutdown', 'Shutdown')]), { tasks: 2, error: 'No such image' })
    assert.deepEqual(failing(1, [...bad, task(2, 'Running', 'Remove')]), { tasks: 2, error: 'No such image' })
  })

  test('a slot Swarm gave up on (max_attempts: its newest task failed and is shut down) is failing', () => {
    const tasks = [1, 2, 3, 4, 5].map(() => task(1, 'Failed', 'Shutdown', 'task: non-zero exit (1)'))
    assert.deepEqual(failing(1, tasks), { tasks: 5, error: 'task: non-zero exit (1)' })
  })
})
