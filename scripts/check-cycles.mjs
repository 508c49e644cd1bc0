#!/usr/bin/env node
// Fails when a module of src/ imports itself back through others (static, dynamic or type-only
// imports alike: a cycle is a tangle of concerns even where it works at run time). Prints each
// cycle as a path: a.ts -> b.ts -> a.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(process.argv[2] ?? 'src')
const files = []
const collect = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) collect(p)
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) files.push(p)
  }
}
collect(root)

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm
const edges = new Map()
for (const file of files) {
  const targets = new Set()
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const target = resolve(dirname(file), m[1]).replace(/\.js$/, '.ts')
    if (files.includes(target)) targets.add(target)
  }
  edges.set(file, [...targets])
}

const cycles = new Map()
const state = new Map()
const stack = []
const visit = (node) => {
  state.set(node, 'visiting')
  stack.push(node)
  for (const next of edges.get(node)) {
    if (state.get(next) === 'visiting') {
      const cycle = stack.slice(stack.indexOf(next))
      const start = cycle.indexOf([...cycle].sort()[0])
      const rotated = [...cycle.slice(start), ...cycle.slice(0, start)]
      cycles.set(rotated.join('\0'), [...rotated, rotated[0]])
    } else if (!state.has(next)) visit(next)
  }
  stack.pop()
  state.set(node, 'done')
}
for (const f of files) if (!state.has(f)) visit(f)

for (const c of cycles.values()) console.error(`import cycle: ${c.map((f) => relative(root, f)).join(' -> ')}`)
if (cycles.size) process.exit(1)
console.log(`no import cycles in ${files.length} modules of ${relative(process.cwd(), root) || '.'}`)
