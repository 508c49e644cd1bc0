import { commands as helpCommands } from '@oclif/plugin-help'
import Config from './config.js'
import Init from './init.js'
import Validate from './validate.js'

/**
 * Every command, by id. oclif's "explicit" strategy, handed to it in memory (see cli.ts): the
 * single binary has no command files on disk for oclif to find.
 */
export const commands = {
  ...helpCommands,
  config: Config,
  init: Init,
  validate: Validate,
}
