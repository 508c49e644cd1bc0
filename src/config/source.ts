import { existsSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import type { Document, LineCounter, Node, Pair, YAMLError, YAMLMap } from 'yaml'
import type * as JsYaml from 'js-yaml'
import { PulpoError, type Problem } from '../errors.js'
import { readNative } from './native-yaml.js'

export const DEFAULT_FILE = 'pulpo.yaml'

/**
 * The largest pulpo.yaml read: a real project is a few hundred kilobytes at most, and parsing
 * with positions costs about a second per few megabytes, so anything larger is a wrong -c.
 */
export const MAX_FILE_BYTES = 16 * 1024 * 1024

/*
 * The two YAML libraries are loaded when first needed, not with this module: a valid file in plain
 * block YAML is read by Bun's parser in the binary, and positions are only needed to locate a
 * problem, so `status` or `up` on a good file loads neither (their evaluation is a few ms of every
 * start). `require`, not `await import()`: loading stays synchronous, and Bun's bundler includes a
 * literal `require('...')` in the binary; node's ESM (the tests) has no `require` of its own.
 */
const lazyRequire = typeof require === 'function' ? undefined : createRequire(import.meta.url)
let yamlLib: typeof import('yaml') | undefined
const Y = (): typeof import('yaml') => (yamlLib ??= lazyRequire ? lazyRequire('yaml') : require('yaml'))
let jsYamlLib: { lib: typeof JsYaml; schema: JsYaml.Schema } | undefined
/** js-yaml, and YAML 1.2's core schema as the `yaml` library reads it (no timestamps), with `<<` merge keys. */
function jsYaml() {
  if (jsYamlLib) return jsYamlLib
  const lib: typeof JsYaml = lazyRequire ? lazyRequire('js-yaml') : require('js-yaml')
  return (jsYamlLib = { lib, schema: lib.CORE_SCHEMA.extend({ implicit: [(lib as unknown as { types: { merge: JsYaml.Type } }).types.merge] }) })
}

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

/** The config file: the one named, else pulpo.yaml in the working directory or above; undefined when there is none. */
export function locateConfigFile(explicit: string | undefined, cwd = process.cwd()): string | undefined {
  if (explicit) {
    const p = resolve(cwd, explicit)
    return existsSync(p) ? p : undefined
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, DEFAULT_FILE)
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) return undefined
  }
}

/** Finds the config file (locateConfigFile), or says why there is none. */
export function findConfigFile(explicit: string | undefined, cwd = process.cwd()): string {
  const found = locateConfigFile(explicit, cwd)
  if (found) return found
  if (explicit) throw new PulpoError('config-not-found', `${explicit}: no such file`, { hints: ['check the path given to -c/--config'] })
  throw new PulpoError('config-not-found', `no ${DEFAULT_FILE} in ${cwd} or any directory above it`, {
    hints: ['run `pulpo init` to write a starter pulpo.yaml, or pass -c FILE'],
  })
}

export function displayName(absPath: string, cwd = process.cwd()): string {
  const rel = relative(cwd, absPath)
  return rel && !rel.startsWith('..') ? rel : absPath
}

/**
 * Reads and parses a config file, keeping node positions. Never throws on bad YAML; refuses up
 * front what is not a pulpo.yaml at all (a directory, a huge or binary file), so a wrong -c gives
 * one clear line instead of thousands of YAML problems.
 */
export function readSource(absPath: string, cwd = process.cwd()): Source {
  const name = displayName(absPath, cwd)
  let bytes: Buffer
  try {
    const st = statSync(absPath)
    if (st.isDirectory()) throw new PulpoError('config-unreadable', `${name} is a directory, not a pulpo.yaml`, { hints: [`pass the file: -c ${join(name, DEFAULT_FILE)}`] })
    if (st.size > MAX_FILE_BYTES) throw tooLarge(name, st.size)
    bytes = readFileSync(absPath)
  } catch (e) {
    if (e instanceof PulpoError) throw e
    throw new PulpoError('config-unreadable', `cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? e}`)
  }
  // A file that grew between stat and read, or a /dev/stdin-like file stat cannot size.
  if (bytes.length > MAX_FILE_BYTES) throw tooLarge(name, bytes.length)
  return parseSource(decodeText(bytes, name), absPath, cwd)
}

const tooLarge = (name: string, size: number) =>
  new PulpoError('config-too-large', `${name} is ${(size / 1024 / 1024).toFixed(1)} MiB; pulpo reads files of at most ${MAX_FILE_BYTES / 1024 / 1024} MiB`, {
    hints: ['is -c pointing at the right file? a pulpo.yaml is a few kilobytes'],
  })

/** The file's text, or an error when it is not text: a NUL byte or invalid UTF-8, with where. */
export function decodeText(bytes: Uint8Array, name: string): string {
  const notText = (offset: number, what: string) => {
    const line = countLines(bytes, offset)
    return new PulpoError('config-not-text', `${name}:${line}: ${what}: this is not a YAML text file`, { hints: ['pulpo.yaml must be UTF-8 text; is -c pointing at the right file?'] })
  }
  const nul = bytes.indexOf(0)
  if (nul >= 0) throw notText(nul, 'a NUL byte')
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw notText(firstInvalidUtf8(bytes), 'invalid UTF-8')
  }
}

function countLines(bytes: Uint8Array, end: number): number {
  let line = 1
  for (let i = 0; i < end; i++) if (bytes[i] === 10) line++
  return line
}

/** The offset of the first byte of the first malformed UTF-8 sequence (overlongs aside). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]
    const n = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1
    if (n < 0) return i
    for (let k = 1; k <= n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i
    i += n + 1
  }
  return bytes.length
}

export function parseSource(text: string, absPath: string, cwd = process.cwd()): Source {
  const file = displayName(absPath, cwd)
  let parsed: { doc: Document.Parsed; lines: LineCounter } | undefined
  const positions = () => {
    if (!parsed) {
      const lines = new (Y().LineCounter)()
      // Duplicate keys are found by duplicateKeys() below: the library's own check (uniqueKeys)
      // compares every key with every other and takes minutes on a file of a few megabytes.
      parsed = { doc: Y().parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, merge: true }), lines }
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
  // The data comes from Bun's native parser where it reads the file as js-yaml would (plain block
  // YAML, no repeated key: native-yaml.ts), else from js-yaml, several times faster than the `yaml`
  // library; the positional document (the `yaml` library's) is only built when something needs a
  // line and column: a broken file, or a problem.
  const native = readNative(text)
  if (native) {
    source.data = native
    return source
  }
  try {
    const { lib, schema } = jsYaml()
    const data = lib.load(text, { filename: file, schema })
    source.data = data === undefined ? null : data
  } catch {
    const { doc, lines } = positions()
    const syntax = doc.errors.map((err) => yamlProblem(err, doc, lines, file))
    source.problems = [...syntax, ...duplicateKeys(doc, lines, file)].sort((a, b) => a.line - b.line || a.column - b.column)
    // A duplicate key leaves the data readable (the last one wins), so the rest of the file is
    // still checked and every problem reported together. Both parsers should refuse the same
    // files; if only js-yaml did, trust the document's data.
    if (!syntax.length) source.data = doc.toJS({ maxAliasCount: 100 }) ?? null
  }
  return source
}

/** Every key that repeats one before it in the same mapping, located, in one pass over the file. */
function duplicateKeys(doc: Document.Parsed, lines: LineCounter, file: string): Problem[] {
  const out: Problem[] = []
  const lineOf = (n: Node) => lines.linePos(n.range![0])
  const walk = (node: unknown, path: Path): void => {
    if (Y().isMap(node)) {
      const first = new Map<string, Node>()
      for (const pair of node.items) {
        const name = keyString(pair.key)
        const key = pair.key as Node | null
        if (name !== undefined && name !== '<<' && key?.range) {
          const before = first.get(name)
          if (before) {
            const { line, col } = lineOf(key)
            out.push({ file, line, column: col, path: pointer([...path, name]), code: 'duplicate-key', message: `duplicate key '${name}' (first at line ${lineOf(before).line})`, hint: 'remove or rename one of the two entries' })
          } else first.set(name, key)
        }
        walk(pair.value, [...path, name ?? '?'])
      }
    } else if (Y().isSeq(node)) node.items.forEach((item, i) => walk(item, [...path, i]))
  }
  walk(doc.contents, [])
  return out
}

/**
 * The same source with other data (e.g. interpolated), its positions still parsed only on first
 * use: spreading a Source (`{ ...source, data }`) would call the `doc` getter and parse the whole
 * file with positions on every run, valid or not.
 */
export function withData(source: Source, data: unknown): Source {
  return Object.create(source, { data: { value: data, enumerable: true, writable: true } }) as Source
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
  if (err.code === 'MULTIPLE_DOCS') {
    return { ...base, code: 'multiple-documents', message: "a second YAML document starts here: a pulpo.yaml is one document", hint: "remove the '---' (and what follows it), or move it to a file of its own" }
  }
  const open = unclosedAt(doc.contents, err.pos[0])
  if (open?.range && at(open.range[0]).line < base.line) {
    const what = Y().isScalar(open) ? 'the quoted string' : Y().isMap(open) ? "the '{'" : "the '['"
    return { ...base, ...at(open.range[0]), hint: `${what} that starts here is not closed` }
  }
  return base
}

type Path = (string | number)[]

/** A quoted scalar or flow collection that ends at `offset`: the one a parser error ran out of. */
function unclosedAt(node: unknown, offset: number): Node | undefined {
  if (Y().isScalar(node)) return (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && node.range?.[1] === offset ? node : undefined
  if (!Y().isMap(node) && !Y().isSeq(node)) return undefined
  for (const item of node.items) {
    const found = Y().isPair(item) ? unclosedAt(item.key, offset) ?? unclosedAt(item.value, offset) : unclosedAt(item, offset)
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
    if (Y().isMap(node)) {
      const pair = pairsOf(node).get(String(seg))
      if (!pair) break
      const key = pair.key as Node | null
      if (last && at === 'key' && key?.range) return pos(source, key.range[0])
      node = pair.value
      const range = (pair.value as Node | null)?.range ?? key?.range
      if (range) offset = range[0]
    } else if (Y().isSeq(node) && typeof seg === 'number' || (Y().isSeq(node) && /^\d+$/.test(String(seg)))) {
      const item = (node as { items: unknown[] }).items[Number(seg)] as Node | undefined
      if (!item) break
      node = item
      if (item.range) offset = item.range[0]
    } else break
  }
  return pos(source, offset)
}

const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>()

/** A mapping's pairs by key, built once: locating many problems in a mapping of thousands of
 * services would otherwise scan it once per problem. Of duplicates the last, as in the data. */
function pairsOf(node: YAMLMap): Map<string, Pair> {
  let index = pairIndex.get(node)
  if (!index) {
    index = new Map()
    for (const p of node.items) {
      const name = keyString(p.key)
      if (name !== undefined) index.set(name, p)
    }
    pairIndex.set(node, index)
  }
  return index
}

/** The text of a 1-based line, without splitting the whole file for each problem. */
export function lineAt(source: Source, line: number): string {
  const starts = source.lines.lineStarts
  if (line < 1 || line > starts.length) return ''
  return source.text.slice(starts[line - 1], line < starts.length ? starts[line] - 1 : undefined)
}

const keyString = (key: unknown): string | undefined => (Y().isScalar(key) ? String(key.value) : undefined)

function pos(source: Source, offset: number) {
  const { line, col } = source.lines.linePos(offset)
  return { line, column: col }
}
