/**
 * When swarm mode calls a replicated service ready, decided by plan/conditions.ts from task lists
 * as `docker service ps` prints them: a service without a probe whose task exited since the wait
 * began is a crash loop; one whose replicas all run is ready once the youngest has run its settle
 * period.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { viewOf } from '../../src/backends/swarm/observe.js'
import { endedTasks, replicasLifecycle, replicasUpMs, stateAgeMs } from '../../src/backends/swarm/settle.js'
import type { SwarmService, SwarmTask } from '../../src/backends/swarm/engine.js'
import { evaluate } from '../../src/plan/conditions.js'

const service = (replicas: number): SwarmService => ({ ID: 'x', Spec: { Name: 'p_web', Mode: { Replicated: { Replicas: replicas } } } })
let n = 0
const task = (slot: number, state: string, desired: string, error = '', ago = '3 seconds ago'): SwarmTask => ({ ID: `t${++n}`, Name: `p_web.${slot}`, Image: 'reg/app:1', Node: `node${slot}`, DesiredState: desired, CurrentState: `${state} ${ago}`, Error: error })

/** The verdict for `ready` on these tasks, with what had ended before the wait and how long the replicas have run. */
function ready(replicas: number, tasks: SwarmTask[], o: { history?: SwarmTask[]; hasProbe?: boolean; settleMs?: number; upMs?: number } = {}) {
  const v = viewOf(service(replicas), tasks)
  const l = replicasLifecycle(v, { history: endedTasks(viewOf(service(replicas), o.history ?? [])), hasProbe: o.hasProbe ?? false, settleMs: o.settleMs ?? 1000, upMs: o.upMs })
  return l ? evaluate('ready', l) : 'not all running'
}

describe('swarm: ready', () => {
  test('every replica running past the settle period: ready; not yet past it: pending', () => {
    const tasks = [task(1, 'Running', 'Running'), task(2, 'Running', 'Running')]
    assert.equal(ready(2, tasks, { upMs: 1200 }), 'ok')
    assert.equal(ready(2, tasks, { upMs: 300 }), 'pending')
  })

  test('a service scaled to zero (replicas: 0) is ready at once, with or without a probe', () => {
    assert.equal(ready(0, []), 'ok')
    assert.equal(ready(0, [], { hasProbe: true }), 'ok')
  })

  test('a replica still starting is not ready', () => {
    assert.equal(ready(2, [task(1, 'Running', 'Running'), task(2, 'Starting', 'Running')], { upMs: 5000 }), 'not all running')
  })

  test('a task that exited since the wait began fails a service without a probe, with its exit code, even while a retry runs', () => {
    const crashed = task(1, 'Failed', 'Shutdown', 'task: non-zero exit (3)')
    assert.deepEqual(ready(1, [task(1, 'Running', 'Running'), crashed], { upMs: 5000 }), { fail: 'its task on node1 exited with code 3; restarting (crash loop)' })
    // Between two crashes, nothing running: the same answer.
    assert.deepEqual(ready(2, [task(1, 'Ready', 'Ready'), crashed, task(2, 'Running', 'Running')]), { fail: 'its task on node1 exited with code 3; restarting (crash loop)' })
  })

  test('exit 0 is a run that ended too: Swarm restarts a service’s task whenever it exits', () => {
    assert.deepEqual(ready(1, [task(1, 'Ready', 'Ready'), task(1, 'Complete', 'Shutdown')]), { fail: "its task on node1 exited with code 0 (a service's task is restarted whenever it exits); restarting (crash loop)" })
  })

  test('what failed before the wait began (an earlier up, a fixed crash) is history', () => {
    const old = task(1, 'Failed', 'Shutdown', 'task: non-zero exit (3)')
    assert.equal(ready(1, [task(1, 'Running', 'Running'), old], { history: [old], upMs: 1500 }), 'ok')
  })

  test('a probed service is waited for through its restarts; a rejected task is not a crash', () => {
    const crashed = task(1, 'Failed', 'Shutdown', 'task: non-zero exit (137)')
    assert.equal(ready(1, [task(1, 'Running', 'Running'), crashed], { hasProbe: true, settleMs: 0 }), 'ok')
    assert.equal(ready(1, [task(1, 'Preparing', 'Running'), task(1, 'Rejected', 'Shutdown', 'No such image: reg/app:1')]), 'not all running')
  })

  test('another failure than an exit is said as Swarm says it', () => {
    const t = task(1, 'Failed', 'Shutdown', 'starting container failed: exec: "nope": executable file not found')
    assert.deepEqual(ready(1, [t]), { fail: 'its task on node1 failed: starting container failed: exec: "nope": executable file not found; restarting (crash loop)' })
  })
})

describe('swarm: how long replicas have run', () => {
  const a = task(1, 'Running', 'Running')
  const b = task(2, 'Running', 'Running')
  const now = 100_000

  test('the youngest replica counts, by the node’s clock', () => {
    const started = new Map([[a.ID, { state: 'running', at: now - 5000 }], [b.ID, { state: 'running', at: now - 400 }]])
    assert.equal(replicasUpMs([a, b], started, new Map(), now), 400)
  })

  test('a node clock ahead of this one is outrun by this process’s own looks', () => {
    const started = new Map([[a.ID, { state: 'running', at: now + 60_000 }]])
    assert.equal(replicasUpMs([a], started, new Map([[a.ID, now - 1500]]), now), 1500)
  })

  test('a task that no longer runs (or was not found) has just started', () => {
    assert.equal(replicasUpMs([a], new Map([[a.ID, { state: 'failed', at: now - 5000 }]]), new Map([[a.ID, now - 5000]]), now), 0)
    assert.equal(replicasUpMs([a], new Map(), new Map(), now), 0)
  })

  test('the CLI’s words say at least how long a task has been in its state', () => {
    const at = (ago: string) => stateAgeMs(task(1, 'Running', 'Running', '', ago))
    assert.equal(at('less than a second ago'), 0)
    assert.equal(at('1 second ago'), 1000)
    assert.equal(at('42 seconds ago'), 42_000)
    assert.equal(at('about a minute ago'), 60_000)
    assert.equal(at('5 minutes ago'), 300_000)
    assert.ok(at('about an hour ago') >= 30 * 60_000)
    assert.ok(at('3 days ago') >= 30 * 60_000)
  })
})
