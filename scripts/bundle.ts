// Run by scripts/build.mjs under Bun: builds dist/pulpo with Bun.build (its JavaScript API, for
// the plugin below; otherwise what `bun build --compile --production` does).
//   bun scripts/bundle.ts OUTFILE BUILD_JSON
const [outfile, build] = process.argv.slice(2)

/**
 * chalk's copy of supports-color imports node:tty for `tty.isatty(1)` and `tty.isatty(2)`; in Bun,
 * loading node:tty sets up Node's stream classes (≈ 4 ms of a 30–40 ms `status`, which needs no
 * stream). It gets isatty from /proc/self/fd instead: a descriptor is a terminal when it is a
 * pseudo-terminal, a tty device (virtual console, serial line) or the console; where /proc
 * cannot say, node:tty as before.
 */
const SUPPORTS_COLOR = /chalk\/source\/vendor\/supports-color\/index\.js$/
const TTY_IMPORT = "import tty from 'node:tty';"
const TTY_FROM_PROC = `import { readlinkSync as pulpoReadlink } from 'node:fs';
import { createRequire as pulpoRequire } from 'node:module';
const tty = {
  isatty(fd) {
    let target;
    try {
      target = pulpoReadlink('/proc/self/fd/' + fd);
    } catch {
      return pulpoRequire(import.meta.url)('node:tty').isatty(fd);
    }
    return target.startsWith('/dev/pts/') || target.startsWith('/dev/tty') || target === '/dev/console';
  },
};`

const result = await Bun.build({
  entrypoints: ['src/main.ts'],
  compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
  // --production: minified, and NODE_ENV baked in as production (else oclif warns).
  minify: true,
  define: { 'process.env.NODE_ENV': '"production"', PULPO_BUILD: build },
  // Bytecode halves start-up; it needs ESM output because main.ts uses top-level await.
  bytecode: true,
  format: 'esm',
  // One chunk per lazily imported module inside the binary: the Node built-ins a command's modules
  // import (crypto, child_process, streams) are then set up only for commands that load them, not
  // by every start (`--version` 15 → 10 ms).
  splitting: true,
  plugins: [
    {
      name: 'supports-color without node:tty',
      setup(b) {
        b.onLoad({ filter: SUPPORTS_COLOR }, async (args) => {
          const text = await Bun.file(args.path).text()
          if (!text.includes(TTY_IMPORT)) throw new Error(`${args.path}: no \`${TTY_IMPORT}\` to replace (chalk changed: revisit scripts/bundle.ts)`)
          return { contents: text.replace(TTY_IMPORT, TTY_FROM_PROC), loader: 'js' }
        })
      },
    },
  ],
})
if (!result.success) {
  for (const log of result.logs) console.error(log)
  process.exit(1)
}
