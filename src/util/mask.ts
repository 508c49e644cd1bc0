/** Masking of secret values in everything pulpo prints. */

import { mapStrings } from './map-strings.js'

/** Variable names whose values are secrets (`API_KEY`, `DB_PASSWORD`, `GITHUB_TOKEN`...). */
export const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL/i

/** A password in a URL, `scheme://user:PASSWORD@host`, whatever variable it came from. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']+:)([^\s@/"']+)@/gi

/** Whether a text holds a password inside a URL (`scheme://user:PASSWORD@host`). */
export function hasUrlPassword(text: string): boolean {
  URL_PASSWORD.lastIndex = 0
  const found = URL_PASSWORD.test(text)
  URL_PASSWORD.lastIndex = 0
  return found
}

/** Whether a value must not be written down: it holds one of the secrets or a password inside a URL. */
export function holdsSecret(value: string, secrets: readonly string[]): boolean {
  return hasUrlPassword(value) || secrets.some((s) => s.length >= 3 && value.includes(s))
}

/** Replaces every secret value in a text, and every password in a URL, with ***. */
export function mask(text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***')
  return out.replace(URL_PASSWORD, '$1***@')
}

/** A problem (or any message with a hint) with every secret masked. */
export function maskProblem<T extends { message: string; hint?: string }>(p: T, secrets: readonly string[]): T {
  return { ...p, message: mask(p.message, secrets), ...(p.hint ? { hint: mask(p.hint, secrets) } : {}) }
}

/**
 * The same data with every secret masked in every string (for --json output). String by string,
 * not over the JSON text: a secret that reads like a JSON token (`false`, `3600`) would be replaced
 * in booleans and numbers too, and the output would no longer be JSON.
 */
export function maskData<T>(data: T, secrets: readonly string[]): T {
  return mapStrings(data, (s) => mask(s, secrets)) as T
}

/**
 * How a message quotes a value (or a `${...}` in it) of the key `key`: never a secret, so a
 * secret-looking key's value is only named, and a password in a URL is masked.
 */
export function quoteMasked(key: string): (text: string, kind: 'value' | 'reference') => string {
  if (SECRET_NAME.test(key)) return (_, kind) => (kind === 'value' ? `the value of ${key}` : `a reference in the value of ${key}`)
  return (text, kind) => (kind === 'value' ? JSON.stringify(mask(text, [])) : `'${mask(text, [])}'`)
}
