/**
 * `$NAME` and `${...}` interpolation with Docker Compose's rules (compose-go's `template` package),
 * plus pulpo's `${services.NAME.ATTR}`. Used for pulpo.yaml values and inside env files.
 */

export interface InterpolationIssue {
  /** Offset of the `$` that starts the reference, in the string. */
  index: number
  message: string
  hint?: string
}

export interface InterpolationContext {
  variable(name: string): string | undefined
  /** The value of `${services.name.attr}`, or an issue explaining why there is none; absent: not available here. */
  service?(name: string, attr: string): { value: string } | { message: string; hint?: string }
  /** Called for each variable that is read, so secret values can be masked later. */
  onVariable?(name: string, value: string): void
  /** false: `${VAR:?msg}` with VAR unset yields '' instead of an issue (checking other environments). */
  requireVariables?: boolean
  /** How the value, or one reference in it, is quoted in a message; pulpo.yaml's masks secrets. */
  quote?(text: string, kind: 'value' | 'reference'): string
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/
/** `[A-Za-z_]` and `[A-Za-z0-9_]` by character code: tested at every `$` of a file, before any JIT. */
const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57)
/** The operator right after the name: Compose picks the one that comes first. */
const OPERATOR = /^:?[-+?]/
const SYNTAX_HINT = 'write ${NAME}, ${NAME:-default} or ${NAME:?message}'
const quoted = (text: string, kind: 'value' | 'reference') => (kind === 'value' ? JSON.stringify(text) : `'${text}'`)

type Result = { value: string; issues: InterpolationIssue[] }

/** Interpolates one string; never throws, returns the value and what went wrong. */
export function interpolate(input: string, ctx: InterpolationContext): Result {
  const issues: InterpolationIssue[] = []
  const quote = ctx.quote ?? quoted
  const at = (offset: number, r: Result) => {
    for (const issue of r.issues) issues.push({ ...issue, index: issue.index + offset })
    return r.value
  }
  let out = ''
  let i = 0
  while (i < input.length) {
    const j = input.indexOf('$', i)
    if (j < 0) {
      out += input.slice(i)
      break
    }
    out += input.slice(i, j)
    const next = input[j + 1]
    if (next === '$') {
      out += '$'
      i = j + 2
      continue
    }
    if (next !== undefined && isNameStart(input.charCodeAt(j + 1))) {
      let nameEnd = j + 2
      while (nameEnd < input.length && isNameChar(input.charCodeAt(nameEnd))) nameEnd++
      out += read(input.slice(j + 1, nameEnd), ctx) ?? ''
      i = nameEnd
      continue
    }
    if (next !== '{') {
      // `$` before anything else (`$1`, `$-x`, a trailing `$`) is not a reference: kept, as in Compose.
      out += '$'
      i = j + 1
      continue
    }
    // Compose's pattern matches `.*` up to the line's last `}`; the reference ends at the first
    // brace that closes it, counting every `{` (so `${A:-{"json":1}}` keeps its inner braces).
    const lineEnd = input.indexOf('\n', j)
    const last = input.lastIndexOf('}', (lineEnd < 0 ? input.length : lineEnd) - 1)
    if (last < j) {
      issues.push({ index: j, message: `unterminated '\${' in ${quote(input, 'value')}`, hint: "close it with '}', or write '$$' for a literal '$'" })
      out += input.slice(j)
      break
    }
    const close = closingBrace(input, j, last + 1)
    const end = close < 0 ? last : j + close
    const body = input.slice(j + 2, end)
    const r = expression(body, ctx, quote)
    if (close < 0 && r.issues.length && body.includes('${')) {
      // The braces do not balance and what they hold does not read either: an inner `${` is unclosed.
      issues.push({ index: j, message: `unterminated '\${' in ${quote(input, 'value')}`, hint: "close it with '}', or write '$$' for a literal '$'" })
      out += input.slice(j)
      break
    }
    out += at(j, r)
    i = end + 1
  }
  return { value: out, issues }
}

/**
 * compose-go's getFirstBraceClosingIndex on `s` from `start` to `end`, quirks included: the
 * character after a `{` is skipped. The offset is from `start` (no substring per reference).
 */
function closingBrace(s: string, start: number, end: number): number {
  let open = 0
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c === 125 && --open === 0) return i - start
    if (c === 123) {
      open++
      i++
    }
  }
  return -1
}

function read(name: string, ctx: InterpolationContext): string | undefined {
  const value = ctx.variable(name)
  if (value !== undefined) ctx.onVariable?.(name, value)
  return value
}

/** The inside of `${...}`; issue offsets are relative to the `$`. */
function expression(body: string, ctx: InterpolationContext, quote: (t: string, kind: 'value' | 'reference') => string): Result {
  if (ctx.service && body.startsWith('services.')) {
    const parts = body.split('.')
    if (parts.length !== 3 || !parts[1] || !parts[2]) {
      return { value: '', issues: [{ index: 0, message: `${quote('${' + body + '}', 'reference')} must be \${services.NAME.ATTR}`, hint: 'ATTR is host, port, url or bind' }] }
    }
    const r = ctx.service(parts[1], parts[2])
    return 'value' in r ? { value: r.value, issues: [] } : { value: '', issues: [{ index: 0, ...r }] }
  }
  const invalid = (): Result => ({ value: '', issues: [{ index: 0, message: `${quote('${' + body + '}', 'reference')} is not a valid variable reference`, hint: SYNTAX_HINT }] })
  const name = NAME.exec(body)?.[0]
  if (!name) return invalid()
  if (name.length === body.length) return { value: read(name, ctx) ?? '', issues: [] }
  const op = OPERATOR.exec(body.slice(name.length))?.[0]
  if (!op) return invalid()
  const arg = body.slice(name.length + op.length)
  // What follows the operator is interpolated too; its issues are located at their own `$`.
  const offset = 2 + name.length + op.length
  const nested = (c: InterpolationContext = ctx): Result => {
    const r = interpolate(arg, c)
    return { value: r.value, issues: r.issues.map((issue) => ({ ...issue, index: issue.index + offset })) }
  }
  const raw = read(name, ctx)
  const present = op.startsWith(':') ? raw !== undefined && raw !== '' : raw !== undefined
  switch (op[op.length - 1]) {
    case '-':
      return present ? { value: raw!, issues: [] } : nested()
    case '+':
      return present ? nested() : { value: '', issues: [] }
    default: {
      if (present) return { value: raw!, issues: [] }
      if (ctx.requireVariables === false) return { value: '', issues: [] }
      const message = nested({ ...ctx, requireVariables: false }).value
      return { value: '', issues: [{ index: 0, message: `${name} is not set${message ? ': ' + message : ''}`, hint: `set ${name} in the environment or in .env` }] }
    }
  }
}
