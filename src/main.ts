import { supervise, superviseArgs } from './backends/local/serve.js'
import { isVersionRequest, versionLine } from './version.js'
import { quickArgs, runWithoutOclif } from './without-oclif.js'

const argv = process.argv.slice(2)
const supervisor = superviseArgs(argv)
const quick = quickArgs(argv)
// --version skips loading oclif and every command: it is what scripts and bug reports call most.
if (isVersionRequest(argv)) process.stdout.write(versionLine() + '\n')
// So does the supervisor `pulpo up` starts (or its spare): a first `up` waits for it to listen.
else if (supervisor) await supervise(supervisor)
// And `status`, `up` and `validate` with their own flags; anything else (help, a usage error) is oclif's.
else if (quick) await runWithoutOclif(quick)
else await (await import('./cli.js')).main(argv)
