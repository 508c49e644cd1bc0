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
execFileSync(
  bun,
  [
    'build', 'src/main.ts',
    '--compile',
    // Without --production NODE_ENV is baked in as development and oclif warns.
    '--production',
    // Bytecode halves start-up; it needs ESM output because main.ts uses top-level await.
    '--bytecode', '--format=esm',
    // One chunk per lazily imported module inside the binary: the Node built-ins a command's
    // modules import (crypto, child_process, streams) are then set up only for commands that load
    // them, not by every start (`--version` 15 → 10 ms).
    '--splitting',
    // A compiled binary would otherwise read .env and bunfig.toml (whose `preload` runs code)
    // from whatever directory the user runs it in.
    '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig',
    '--define', `PULPO_BUILD=${JSON.stringify(build)}`,
    '--outfile', 'dist/pulpo',
  ],
  { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
)
console.log(`built dist/pulpo in ${((Date.now() - started) / 1000).toFixed(1)} s`)
