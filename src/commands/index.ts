import { commands as helpCommands } from '@oclif/plugin-help'
import Build from './build.js'
import Compile from './compile.js'
import Complete from './complete.js'
import Completion from './completion.js'
import Config from './config.js'
import Down from './down.js'
import Init from './init.js'
import Logs from './logs.js'
import Plan from './plan.js'
import PrefectDeploy from './prefect/deploy.js'
import PrefectFlows from './prefect/flows.js'
import PrefectRun from './prefect/run.js'
import Restart from './restart.js'
import Rollback from './rollback.js'
import Schema from './schema.js'
import Status from './status.js'
import Supervise from './supervise.js'
import Up from './up.js'
import Validate from './validate.js'

/**
 * Every command, by id. oclif's "explicit" strategy, handed to it in memory (see cli.ts): the
 * single binary has no command files on disk for oclif to find.
 */
export const commands = {
  ...helpCommands,
  build: Build,
  compile: Compile,
  complete: Complete,
  completion: Completion,
  config: Config,
  down: Down,
  init: Init,
  logs: Logs,
  plan: Plan,
  'prefect:deploy': PrefectDeploy,
  'prefect:flows': PrefectFlows,
  'prefect:run': PrefectRun,
  restart: Restart,
  rollback: Rollback,
  schema: Schema,
  status: Status,
  supervise: Supervise,
  up: Up,
  validate: Validate,
}
