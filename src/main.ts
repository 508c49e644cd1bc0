import { isVersionRequest, versionLine } from './version.js'

const argv = process.argv.slice(2)
// --version skips loading oclif and every command: it is what scripts and bug reports call most.
if (isVersionRequest(argv)) process.stdout.write(versionLine() + '\n')
else await (await import('./cli.js')).main(argv)
