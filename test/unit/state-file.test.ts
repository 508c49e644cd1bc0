/**
 * The local supervisor's state file as read back (backends/local/state-file.ts): none is nothing;
 * one that cannot be read, or is not shaped as pulpo writes it, is an error to say, never taken
 * for an empty one; a pid of 1 or less (what `down` would signal as a group) is refused.
 */
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StateDir } from '../../src/project/paths.js'
import { readStateFile, UnreadableState } from '../../src/backends/local/state-file.js'

const dir = mkdtempSync(join(tmpdir(), 'pulpo-state-file-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const dirs = new StateDir(dir, 'p')
mkdirSync(dirs.root, { recursive: true })
const withState = (text: string) => writeFileSync(dirs.state, text)
const service = (extra: object) => JSON.stringify({ version: 1, services: { web: { spec: { name: 'web', hash: 'h' }, status: 'running', restarts: 0, ...extra } } })

describe('the state file, read back', () => {
  test('none: nothing recorded', () => {
    rmSync(dirs.state, { force: true })
    assert.equal(readStateFile(dirs), undefined)
  })

  test('as pulpo writes it: read', () => {
    withState(service({ pid: 4242, startTime: 123 }))
    assert.equal(readStateFile(dirs)?.services.web.pid, 4242)
  })

  for (const [what, text] of [
    ['cut short', '{"version": 1, "services": {"web": '],
    ['not a mapping', '[1, 2]'],
    ['services not a mapping', '{"version": 1, "services": [1]}'],
    ['a service without its spec', '{"version": 1, "services": {"web": 5}}'],
    ['pid 1', service({ pid: 1, startTime: 1 })],
    ['a pid that is no number', service({ pid: '4242' })],
  ]) {
    test(`${what}: an error saying it cannot be read`, () => {
      withState(text)
      assert.throws(() => readStateFile(dirs), (e: unknown) => e instanceof UnreadableState && /state\.json cannot be read \(.+\)/.test((e as Error).message))
    })
  }
})
