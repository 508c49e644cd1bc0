import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

/** Service names of a user's own compose file (what docker mode then drives). */
export function composeServices(file: string): string[] {
  try {
    return Object.keys((parse(readFileSync(file, 'utf8')) as { services?: object })?.services ?? {}).sort()
  } catch {
    return []
  }
}
