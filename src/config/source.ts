import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type YAMLError } from 'yaml'
import * as jsYaml from 'js-yaml'
import { PulpoError, type Problem } from '../errors.js'

export const DEFAULT_FILE = 'pulpo.yaml'

/** YAML 1.2's core schema, as the `yaml` library reads it (no timestamps), with `<<` merge keys. */
const SCHEMA = jsYaml.CORE_SCHEMA.extend({ implicit: [(jsYaml as unknown as { types: { merge: jsYaml.Type } }).types.merge] })

/** A pulpo.yaml as read from disk: its data plus what it takes to point at a line and column. */
export interface Source {
  /** The path shown to users: relative to the working directory when inside it. */
  file: string
  absPath: string
  /** The project directory: relative paths in the file are resolved against it. */
  dir: string
  text: string
  /** The document with node positions: parsed on first use, i.e. when a problem is to be located. */
  readonly doc: Document.Parsed
  readonly lines: LineCounter
  /** The plain data; undefined when the YAML itself is broken. */
  data: unknown
  /** YAML syntax problems (including duplicate keys). */
  problems: Problem[]
}

/** Finds the config file: the one named, else pulpo.yaml in the working directory or above. */
export function findConfigFile(explicit: string | undefined, cwd = process.cwd()): string {
  if (explicit) {
    const p = resolve(cwd, explicit)
    if (!existsSync(p)) throw new PulpoError('config-not-found', `${explicit}: no such file`, { hints: ['check the path given to -c/--config'] })
    return p
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, DEFAULT_FILE)
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) break
  }
  throw new PulpoError('config-not-found', `no ${DEFAULT_FILE} in ${cwd} or any directory above it`, {
    hints: ['run `pulpo init` to write a starter pulpo.yaml, or pass -c FILE'],
  })
}

export function displayName(absPath: string, cwd = process.cwd()): string {
  const rel = relative(cwd, absPath)
  return rel && !rel.startsWith('..') ? rel : absPath
}

/** Reads and parses a config file, keeping node positions. Never throws on bad YAML. */
export function readSource(absPath: string, cwd = process.cwd()): Source {
  let text: string
  try {
    text = readFileSync(absPath, 'utf8')
  } catch (e) {
    throw new PulpoError('config-unreadable', `cannot read ${displayName(absPath, cwd)}: ${(e as NodeJS.ErrnoException).code ?? e}`)
  }
  return parseSource(text, absPath, cwd)
}

export function parseSource(text: string, absPath: string, cwd = process.cwd()): Source {
  const file = displayName(absPath, cwd)
  let parsed: { doc: Document.Parsed; lines: LineCounter } | undefined
  const positions = () => {
    if (!parsed) {
      const lines = new LineCounter()
      // uniqueKeys makes a duplicate key an error rather than last-one-wins, as users expect.
      parsed = { doc: parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, merge: true }), lines }
    }
    return parsed
  }
  const source = {
    file,
    absPath,
    dir: dirname(absPath),
    text,
    get doc() {
      return positions().doc
    },
    get lines() {
      return positions().lines
    },
    data: undefined as unknown,
    problems: [] as Problem[],
  }
  // The data comes from js-yaml, several times faster; the positional document (the `yaml`
  // library's) is only built when something needs a line and column: a broken file, or a problem.
  try {
    const data = jsYaml.load(text, { filename: file, schema: SCHEMA })
    source.data = data === undefined ? null : data
  } catch {
    const { doc, lines } = positions()
    source.problems = doc.errors.map((err) => yamlProblem(err, doc, lines, file))
    // Both parsers should refuse the same files; if only js-yaml did, trust the document's data.
    if (!source.problems.length) source.data = doc.toJS({ maxAliasCount: 100 })
  }
  return source
}

/**
 * A YAML error as a problem. The parser reports where it noticed the error; two kinds read better
 * elsewhere: a duplicate key names the key and where it first appears, and a quote or bracket left
 * open (reported at the next line, or the end of the file) points at where it was opened.
 */
function yamlProblem(err: YAMLError, doc: Document.Parsed, lines: LineCounter, file: string): Problem {
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset)
    return { line, column: col }
  }
  const base = { file, ...at(err.pos[0]), path: '', code: 'yaml-syntax', message: firstLine(err.message) }
  if (err.code === 'DUPLICATE_KEY') {
    const dup = findKey(doc.contents, err.pos[0])
    const message = dup
      ? `duplicate key '${dup.path[dup.path.length - 1]}'${dup.first.range ? ` (first at line ${at(dup.first.range[0]).line})` : ''}`
      : 'duplicate key: a key appears twice in the same mapping'
    return { ...base, code: 'duplicate-key', path: pointer(dup?.path ?? []), message, hint: 'remove or rename one of the two entries' }
  }
  const open = unclosedAt(doc.contents, err.pos[0])
  if (open?.range && at(open.range[0]).line < base.line) {
    const what = isScalar(open) ? 'the quoted string' : isMap(open) ? "the '{'" : "the '['"
    return { ...base, ...at(open.range[0]), hint: `${what} that starts here is not closed` }
  }
  return base
}

type Path = (string | number)[]

/** The key that starts at `offset`, its path, and the first key of the same name in its mapping. */
function findKey(node: unknown, offset: number, path: Path = []): { path: Path; first: Node } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const name = keyString(pair.key)
      if (name !== undefined && (pair.key as Node).range?.[0] === offset) {
        return { path: [...path, name], first: node.items.find((p) => keyString(p.key) === name)!.key as Node }
      }
      const found = findKey(pair.value, offset, [...path, name ?? '?'])
      if (found) return found
    }
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) {
      const found = findKey(node.items[i], offset, [...path, i])
      if (found) return found
    }
  }
  return undefined
}

/** A quoted scalar or flow collection that ends at `offset`: the one a parser error ran out of. */
function unclosedAt(node: unknown, offset: number): Node | undefined {
  if (isScalar(node)) return (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && node.range?.[1] === offset ? node : undefined
  if (!isMap(node) && !isSeq(node)) return undefined
  for (const item of node.items) {
    const found = isPair(item) ? unclosedAt(item.key, offset) ?? unclosedAt(item.value, offset) : unclosedAt(item, offset)
    if (found) return found
  }
  return node.flow && node.range?.[1] === offset ? node : undefined
}

const firstLine = (s: string) => s.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')

/** A JSON pointer (`/services/api/port`) from path segments. */
export const pointer = (path: readonly (string | number)[]): string =>
  path.length ? '/' + path.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/') : ''

/**
 * Line and column of the node at `path`: the key when `at` is 'key' (for unknown or misnamed
 * keys), otherwise the value. Falls back to the deepest node that exists, so a missing key points
 * at the mapping that should hold it.
 */
export function locate(source: Source, path: readonly (string | number)[], at: 'key' | 'value' = 'value'): { line: number; column: number } {
  let node: unknown = source.doc.contents
  let offset = node && (node as Node).range ? (node as Node).range![0] : 0
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]
    const last = i === path.length - 1
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyString(p.key) === String(seg))
      if (!pair) break
      const key = pair.key as Node | null
      if (last && at === 'key' && key?.range) return pos(source, key.range[0])
      node = pair.value
      const range = (pair.value as Node | null)?.range ?? key?.range
      if (range) offset = range[0]
    } else if (isSeq(node) && typeof seg === 'number' || (isSeq(node) && /^\d+$/.test(String(seg)))) {
      const item = (node as { items: unknown[] }).items[Number(seg)] as Node | undefined
      if (!item) break
      node = item
      if (item.range) offset = item.range[0]
    } else break
  }
  return pos(source, offset)
}

const keyString = (key: unknown): string | undefined => (isScalar(key) ? String(key.value) : undefined)

function pos(source: Source, offset: number) {
  const { line, col } = source.lines.linePos(offset)
  return { line, column: col }
}
