import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** The executable `command` resolves to on PATH (as execvp would find it), or undefined. */
export function onPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  if (command.includes('/')) return executable(command) ? command : undefined
  for (const dir of path.split(delimiter)) if (dir && executable(join(dir, command))) return join(dir, command)
  return undefined
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}
