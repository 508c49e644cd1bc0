import { supervise, superviseArgs } from './backends/local/serve.js'
import { statusArgs, statusWithoutOclif } from './status-args.js'
import { isVersionRequest, versionLine } from './version.js'

const argv = process.argv.slice(2)
const supervisor = superviseArgs(argv)
const status = statusArgs(argv)
// --version skips loading oclif and every command: it is what scripts and bug reports call most.
if (isVersionRequest(argv)) process.stdout.write(versionLine() + '\n')
// So does the supervisor `pulpo up` starts: a first `up` waits for it to listen.
else if (supervisor) await supervise(supervisor.dir, supervisor.project)
// And `status` with its own flags; anything else (help, a usage error) is oclif's.
else if (status) await statusWithoutOclif(status)
else await (await import('./cli.js')).main(argv)
