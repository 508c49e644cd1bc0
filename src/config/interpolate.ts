/** `${...}` interpolation of pulpo.yaml values, as in Docker Compose, plus `${services.NAME.ATTR}`. */

export interface InterpolationIssue {
  /** Offset of the `${` in the string. */
  index: number
  message: string
  hint?: string
}

export interface InterpolationContext {
  variable(name: string): string | undefined
  /** The value of `${services.name.attr}`, or an issue explaining why there is none. */
  service(name: string, attr: string): { value: string } | { message: string; hint?: string }
  /** Called for each variable that is read, so secret values can be masked later. */
  onVariable?(name: string, value: string): void
  /** false: `${VAR:?msg}` with VAR unset yields '' instead of an issue (checking other environments). */
  requireVariables?: boolean
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Interpolates one string; never throws, returns the value and what went wrong. */
export function interpolate(input: string, ctx: InterpolationContext): { value: string; issues: InterpolationIssue[] } {
  const issues: InterpolationIssue[] = []
  let out = ''
  let i = 0
  while (i < input.length) {
    const c = input[i]
    if (c !== '$') {
      out += c
      i++
      continue
    }
    const next = input[i + 1]
    if (next === '$') {
      out += '$'
      i += 2
      continue
    }
    if (next !== '{') {
      // A bare `$NAME` is left for the shell of a string command, as written.
      out += c
      i++
      continue
    }
    const end = matchingBrace(input, i + 2)
    if (end < 0) {
      issues.push({ index: i, message: `unterminated '\${' in ${JSON.stringify(input)}`, hint: "close it with '}', or write '$$' for a literal '$'" })
      out += input.slice(i)
      break
    }
    const body = input.slice(i + 2, end)
    const r = expression(body, ctx)
    for (const issue of r.issues) issues.push({ ...issue, index: i + issue.index })
    out += r.value
    i = end + 1
  }
  return { value: out, issues }
}

function matchingBrace(s: string, from: number): number {
  let depth = 1
  for (let j = from; j < s.length; j++) {
    if (s[j] === '$' && s[j + 1] === '{') {
      depth++
      j++
    } else if (s[j] === '}' && --depth === 0) return j
  }
  return -1
}

function expression(body: string, ctx: InterpolationContext): { value: string; issues: InterpolationIssue[] } {
  if (body.startsWith('services.')) {
    const parts = body.split('.')
    if (parts.length !== 3 || !parts[1] || !parts[2]) {
      return { value: '', issues: [{ index: 0, message: `'\${${body}}' must be \${services.NAME.ATTR}`, hint: 'ATTR is host, port, url or bind' }] }
    }
    const r = ctx.service(parts[1], parts[2])
    return 'value' in r ? { value: r.value, issues: [] } : { value: '', issues: [{ index: 0, ...r }] }
  }
  const m = /^([^:?\-+}]*)(:?[-?])?([\s\S]*)$/.exec(body)!
  const [, name, op, arg] = m
  if (!VAR_NAME.test(name)) {
    return { value: '', issues: [{ index: 0, message: `'\${${body}}' is not a valid variable reference`, hint: 'write ${NAME}, ${NAME:-default} or ${NAME:?message}' }] }
  }
  if (!op && arg) {
    return { value: '', issues: [{ index: 0, message: `'\${${body}}' is not a valid variable reference`, hint: 'write ${NAME}, ${NAME:-default} or ${NAME:?message}' }] }
  }
  const raw = ctx.variable(name)
  const unset = op?.startsWith(':') ? raw === undefined || raw === '' : raw === undefined
  if (raw !== undefined) ctx.onVariable?.(name, raw)
  if (op?.endsWith('-')) {
    if (!unset) return { value: raw!, issues: [] }
    // Issues inside the default are located at their own `${`, which follows `${NAME:-`.
    const r = interpolate(arg, ctx)
    const offset = 2 + name.length + op.length
    return { value: r.value, issues: r.issues.map((issue) => ({ ...issue, index: issue.index + offset })) }
  }
  if (op?.endsWith('?')) {
    if (!unset) return { value: raw!, issues: [] }
    if (ctx.requireVariables === false) return { value: '', issues: [] }
    const message = interpolate(arg, { ...ctx, requireVariables: false }).value
    return { value: '', issues: [{ index: 0, message: `${name} is not set${message ? ': ' + message : ''}`, hint: `set ${name} in the environment or in .env` }] }
  }
  // Like Compose: an unset variable without a default becomes an empty string.
  return { value: raw ?? '', issues: [] }
}
