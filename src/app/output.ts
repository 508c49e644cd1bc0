/** Where a command writes: its oclif command (src/commands/), or main.ts without oclif (src/without-oclif.ts). */
export interface CommandOutput {
  /** `--json`: the command returns what to print instead of writing it. */
  json: boolean
  log(line: string): void
  logToStderr(line: string): void
}
