import { execute, Plugin } from '@oclif/core'
import pjson from '../package.json' with { type: 'json' }
import { commands } from './commands/index.js'

/**
 * Runs the CLI. Inside a `bun build --compile` binary there is no package.json or command file on
 * disk, so the root plugin is built here from the imported package.json and the in-memory command
 * map, instead of letting oclif discover them (see shared notes: oclif inside a Bun binary).
 */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  const root = process.cwd()
  const plugin = new Plugin({ root, pjson: pjson as any, isRoot: true, name: pjson.name })
  // oclif-private: the explicit strategy reads this cache before trying to import() its target.
  // @oclif/core is pinned exactly; test/cli/binary.test.ts covers this in the built binary.
  ;(plugin as unknown as { commandCache: unknown }).commandCache = commands
  await plugin.load()
  await execute({ args: argv, loadOptions: { pjson: pjson as any, plugins: new Map([[plugin.name, plugin]]), root } })
}
