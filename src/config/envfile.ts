/**
 * `.env` and `env_file` files read with Docker Compose's format (compose-go's `dotenv` parser):
 * `export ` prefixes, `KEY=value` and `KEY: value`, comments, single quotes literal, double quotes
 * with escapes, values over several lines, `$NAME`/`${...}` expansion and a bare `NAME` inherited.
 */
import { quoteMasked } from '../util/mask.js'
import { interpolate } from './interpolate.js'

export interface EnvFileIssue {
  line: number
  column: number
  message: string
  hint?: string
}

/** Compose's spaces within a line (a line break ends a statement). */
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\v' || c === '\f' || c === '\r' || c === '\u0085' || c === '\u00a0'
const KEY_CHAR = /^[\p{L}\p{N}_.\-[\]]$/u
const EXPORT = /^export\s+/
/** The escapes double quotes understand; any other backslash stays as written. */
const ESCAPE = /\\(?:[abfnrtv$"\\]|0\d{0,3})/g
const ESCAPED: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', '\\': '\\' }

/**
 * Parses one env file into `into` (later keys win). `lookup` resolves `${NAME}` and bare `NAME`
 * lines first (the environment), then the values read so far. Stops at the first malformed line.
 */
export function parseEnvFile(text: string, lookup: (name: string) => string | undefined, into: Record<string, string> = {}): { vars: Record<string, string>; issues: EnvFileIssue[] } {
  const src = text.startsWith('\ufeff') ? text.slice(1) : text
  const lineAt = (pos: number) => {
    let line = 1
    let start = 0
    for (let i = src.indexOf('\n'); i >= 0 && i < pos; i = src.indexOf('\n', i + 1)) {
      line++
      start = i + 1
    }
    return { line, column: pos - start + 1 }
  }
  const fail = (pos: number, message: string, hint?: string) => ({ vars: into, issues: [{ ...lineAt(pos), message, ...(hint ? { hint } : {}) }] })
  const expand = (value: string, key: string, pos: number): string | EnvFileIssue => {
    const r = interpolate(value, {
      variable: (name) => lookup(name) ?? into[name],
      // A message names the reference, never a secret's value.
      quote: quoteMasked(key),
    })
    return r.issues.length ? { ...lineAt(pos), message: `${key}: ${r.issues[0].message}`, ...(r.issues[0].hint ? { hint: r.issues[0].hint } : {}) } : r.value
  }

  let pos = 0
  for (;;) {
    // The next statement: past blank space and comment lines.
    while (pos < src.length && (/\s/.test(src[pos]) || src[pos] === '#')) {
      if (src[pos] === '#') {
        const nl = src.indexOf('\n', pos)
        pos = nl < 0 ? src.length : nl
      } else pos++
    }
    if (pos >= src.length) break
    const start = pos
    const exported = EXPORT.exec(src.slice(pos, pos + 16))
    if (exported) {
      pos += 'export'.length
      while (isSpace(src[pos] ?? '')) pos++
    }
    // The name, up to `=`, `:` (YAML style) or the end of the line (inherited from the environment).
    let end = pos
    let terminator = ''
    for (; end < src.length; end++) {
      const c = src[end]
      if (c === '=' || c === ':' || c === '\n') {
        terminator = c
        break
      }
      if (isSpace(c) || KEY_CHAR.test(c)) continue
      const line = src.slice(start, src.indexOf('\n', start) < 0 ? src.length : src.indexOf('\n', start))
      return fail(end, `unexpected character ${JSON.stringify(c)} in variable name ${JSON.stringify(line.length > 60 ? line.slice(0, 60) + '…' : line)}`, 'a line is NAME=value, NAME: value, export NAME=value, a bare NAME (taken from the environment) or a # comment')
    }
    const key = src.slice(pos, end).replace(/\s+$/, '')
    if (/\s/.test(key)) return fail(pos, `the name ${JSON.stringify(key)} contains a space`, 'a line is NAME=value; quote a value that has spaces: NAME="a b"')
    if (!key) return fail(pos, 'a value without a name', 'a line is NAME=value')
    if (terminator !== '=' && terminator !== ':') {
      const inherited = lookup(key)
      if (inherited !== undefined) into[key] = inherited
      pos = end + 1
      continue
    }
    pos = end + 1
    while (isSpace(src[pos] ?? '')) pos++
    const quote = src[pos]
    if (quote !== '"' && quote !== "'") {
      const nl = src.indexOf('\n', pos)
      const raw = src.slice(pos, nl < 0 ? src.length : nl)
      // ` #` starts a comment; a `#` inside a word (`abc#123`) does not.
      const cut = raw.indexOf(' #')
      const value = expand((cut < 0 ? raw : raw.slice(0, cut)).replace(/\s+$/u, ''), key, pos)
      if (typeof value !== 'string') return { vars: into, issues: [value] }
      into[key] = value
      pos = nl < 0 ? src.length : nl
      continue
    }
    let close = -1
    for (let i = pos + 1, escaped = false; i < src.length; i++) {
      if (src[i] === quote && !escaped) {
        close = i
        break
      }
      escaped = !escaped && src[i] === '\\'
    }
    if (close < 0) return fail(pos, `${key}: unterminated quoted value (no closing ${quote})`, `close the value with ${quote}; inside it write \\${quote} for a ${quote}`)
    const inner = src.slice(pos + 1, close)
    let value: string | EnvFileIssue
    if (quote === "'") value = inner.replace(/\\'/g, "'")
    else value = expand(unescape(inner), key, pos)
    if (typeof value !== 'string') return { vars: into, issues: [value] }
    into[key] = value
    pos = close + 1
    // After the closing quote only a comment may follow on the line.
    while (isSpace(src[pos] ?? '')) pos++
    if (pos < src.length && src[pos] !== '\n' && src[pos] !== '#') return fail(pos, `${key}: unexpected text after the closing ${quote}`, 'put a comment after a space and #, or quote the whole value')
  }
  return { vars: into, issues: [] }
}

/** Double-quote escapes; `\$` becomes `$$`, so that expansion leaves a literal `$`. */
function unescape(s: string): string {
  return s.replace(ESCAPE, (m) => {
    const c = m[1]
    if (c === '$') return '$$'
    if (c !== '0') return ESCAPED[c]
    const digits = m.slice(2)
    // `\0123` is the octal escape `\123`; anything shorter or out of range stays as written.
    return digits.length === 3 && /^[0-7]{3}$/.test(digits) && parseInt(digits, 8) <= 255 ? String.fromCharCode(parseInt(digits, 8)) : m
  })
}
