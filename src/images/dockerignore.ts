import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** One line of a .dockerignore: a pattern as a regular expression, and whether it starts with `!`. */
interface Rule {
  regex: RegExp
  exception: boolean
}

/**
 * The files a .dockerignore keeps out of a build context, with Docker's own rules (moby's
 * patternmatcher): `*` and `?` stay within one path segment, `**` spans any number of them, the
 * last matching line wins and `!` re-includes; a pattern that matches a directory excludes
 * everything under it.
 */
export class DockerIgnore {
  private constructor(private readonly rules: Rule[]) {}

  /** The context's .dockerignore, or one that excludes nothing when there is none. */
  static of(context: string): DockerIgnore {
    const file = join(context, '.dockerignore')
    return DockerIgnore.parse(existsSync(file) ? readFileSync(file, 'utf8') : '')
  }

  static parse(text: string): DockerIgnore {
    const rules: Rule[] = []
    for (const raw of text.split(/\r?\n/)) {
      let line = raw.trim()
      if (!line || line.startsWith('#')) continue
      const exception = line.startsWith('!')
      if (exception) line = line.slice(1).trim()
      const pattern = clean(line)
      if (pattern) rules.push({ regex: compile(pattern), exception })
    }
    return new DockerIgnore(rules)
  }

  /** Whether any line re-includes: then an excluded directory must still be walked. */
  get hasExceptions(): boolean {
    return this.rules.some((r) => r.exception)
  }

  /** Whether the context-relative path (with `/`) is left out of the context. */
  excludes(path: string): boolean {
    const parents = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))
    let excluded = false
    for (const rule of this.rules) if (parents.some((p) => rule.regex.test(p))) excluded = !rule.exception
    return excluded
  }
}

/** Like Go's filepath.Clean, and without a leading `/`: patterns are relative to the context. */
function clean(pattern: string): string {
  const out: string[] = []
  for (const part of pattern.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') out.pop()
    else out.push(part)
  }
  return out.join('/')
}

function compile(pattern: string): RegExp {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '*' && pattern[i + 1] === '*') {
      i++
      // `**/` is zero or more directories; a trailing `**` is anything below.
      if (pattern[i + 1] === '/') {
        i++
        re += '(?:.*/)?'
      } else re += '.*'
    } else if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '\\' && i + 1 < pattern.length) re += escape(pattern[++i])
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1)
      if (end < 0) re += '\\['
      else {
        const body = pattern.slice(i + 1, end).replace(/^\^/, '!')
        re += '[' + (body.startsWith('!') ? '^' + body.slice(1) : body).replace(/\\/g, '\\\\') + ']'
        i = end
      }
    } else re += escape(c)
  }
  return new RegExp(`^${re}$`)
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
