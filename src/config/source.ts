import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import { PulpoError, type Problem } from '../errors.js'

export const DEFAULT_FILE = 'pulpo.yaml'

/** A pulpo.yaml as read from disk: its data plus what it takes to point at a line and column. */
export interface Source {
  /** The path shown to users: relative to the working directory when inside it. */
  file: string
  absPath: string
  /** The project directory: relative paths in the file are resolved against it. */
  dir: string
  text: string
  doc: Document.Parsed
  lines: LineCounter
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
  const lines = new LineCounter()
  // uniqueKeys makes a duplicate key an error rather than last-one-wins, as users expect.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, merge: true })
  const problems: Problem[] = doc.errors.map((err) => {
    const { line, col } = lines.linePos(err.pos[0])
    const duplicate = err.code === 'DUPLICATE_KEY'
    return {
      file,
      line,
      column: col,
      path: '',
      code: duplicate ? 'duplicate-key' : 'yaml-syntax',
      message: duplicate ? 'duplicate key: ' + firstLine(err.message).replace(/^Map keys must be unique.*$/, 'a key appears twice in the same mapping') : firstLine(err.message),
      hint: duplicate ? 'remove or rename one of the two entries' : undefined,
    }
  })
  const data = problems.length ? undefined : doc.toJS({ maxAliasCount: 100 })
  return { file, absPath, dir: dirname(absPath), text, doc, lines, data, problems }
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
