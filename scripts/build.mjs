#!/usr/bin/env node
// Builds dist/pulpo: one standalone executable (Bun runtime + bytecode of pulpo and its dependencies).
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bun = join(root, 'node_modules', '.bin', 'bun')
mkdirSync(join(root, 'dist'), { recursive: true })
const started = Date.now()
// What `pulpo --version` names: the commit and its date (not the time of the build, so the same
// commit builds the same binary). Outside a git checkout: unknown.
const git = (...args) => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return ''
  }
}
const dirty = git('status', '--porcelain', '--untracked-files=no') ? '+dirty' : ''
const build = { commit: (git('rev-parse', '--short=7', 'HEAD') || 'unknown') + dirty, date: git('log', '-1', '--format=%cs') || 'unknown' }
// Bun.build's JavaScript API (scripts/bundle.ts), for a plugin the command line has no flag for.
execFileSync(bun, ['scripts/bundle.ts', 'dist/pulpo', JSON.stringify(build)], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
console.log(`built dist/pulpo in ${((Date.now() - started) / 1000).toFixed(1)} s`)
