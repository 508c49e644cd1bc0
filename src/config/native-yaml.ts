/**
 * The data of a pulpo.yaml read by Bun's native YAML parser (`Bun.YAML.parse`), several times
 * faster than js-yaml on a big file, for the files where both read the same data. Bun's parser
 * keeps the last of two equal keys without a word and reads a few scalars differently (`1_000`,
 * `0b1`, tags, merge keys), so it is used only for a file written in plain block YAML, checked line
 * by line: keys that are plain words, values on one line (plain, quoted, or flow collections
 * closed on that line), block scalars; no anchors, aliases, tags, merge keys, explicit keys or
 * documents. The keys of that file are counted and must all be in Bun's data (a repeated key
 * would be missing). Anything else — and any file Bun refuses — is read by js-yaml as before,
 * which reports its problems exactly as it always did. Outside Bun (node, the tests) there is no
 * native parser: always js-yaml.
 */
import { isRecord } from './model.js'

type Parse = (text: string) => unknown
let nativeParse = (globalThis as { Bun?: { YAML?: { parse?: Parse } } }).Bun?.YAML?.parse

/** Another native parser, or none (js-yaml for every file): for comparing the two in one runtime. */
export function useNativeParser(parse: Parse | undefined): Parse | undefined {
  const before = nativeParse
  nativeParse = parse
  return before
}

/** The file's data when Bun's parser reads it as js-yaml would, else undefined (read it with js-yaml). */
export function readNative(text: string, parse: Parse | undefined = nativeParse): Record<string, unknown> | undefined {
  if (!parse) return undefined
  if (NUMBER_FORMS.test(text)) return undefined
  const keys = countKeys(text)
  if (keys === undefined) return undefined
  let data: unknown
  try {
    data = parse(text)
  } catch {
    return undefined
  }
  if (!isRecord(data) || Object.getPrototypeOf(data) !== Object.prototype) return undefined
  return keysIn(data) === keys ? data : undefined
}

/** The keys of the data's mappings, all together; NaN when a scalar may read differently in js-yaml. */
function keysIn(value: unknown): number {
  if (typeof value === 'string') return jsYamlNumber(value) ? NaN : 0
  if (Array.isArray(value)) {
    let n = 0
    for (const v of value) n += keysIn(v)
    return n
  }
  if (isRecord(value)) {
    let n = 0
    for (const k of Object.keys(value)) n += 1 + (jsYamlNumber(k) ? NaN : 0) + keysIn(value[k])
    return n
  }
  return 0
}

/** js-yaml reads `1_000`, `0x_1f` and `0b101` as numbers (YAML 1.1 style); Bun as strings. */
function jsYamlNumber(s: string): boolean {
  const c = s.charCodeAt(0)
  // Most strings start with a letter: nothing more to look at.
  return ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) && (s.includes('_') || /^[-+]?0b/.test(s))
}

/**
 * Numbers the two read differently, found in the text (in Bun's data they are numbers like any
 * other): js-yaml reads `-.5` and `+.5` as strings, Bun as numbers; `-0` is negative zero in js-yaml.
 */
const NUMBER_FORMS = /(^|[\s,[{])([-+]\.[0-9]|-(0+\.?0*|\.0+)([eE][-+]?[0-9]+)?(?=[\s,\]}#:]|$))/m
const BLOCK_SCALAR = /^[|>][1-9+-]{0,2}(?: +#.*)?$/

/*
 * The scan below compares character codes, not one-character strings, and looks classes up in a
 * table: it runs once over every line of the file before any JIT has warmed up, where each string
 * comparison or `'...'.includes(c)` is a call of its own (the count took longer than Bun's parse).
 */
const TAB = 9
const SPACE = 32
const QUOTE_DOUBLE = 34
const HASH = 35
const QUOTE_SINGLE = 39
const COMMA = 44
const DASH = 45
const COLON = 58
const LESS = 60
const BRACKET_OPEN = 91
const BACKSLASH = 92
const BRACKET_CLOSE = 93
const BRACE_OPEN = 123
const PIPE = 124
const BRACE_CLOSE = 125
const GREATER = 62

/** Character classes by code (ASCII only: anything else is a plain character). */
const classes = (chars: string) => {
  const table = new Uint8Array(128)
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1
  return table
}
/** What starts something other than a plain word: quotes, flow, anchors, tags, comments... */
const NOT_PLAIN = classes('?&*!%@`\'"{}[],#|>')
/** What may not start an entry of a flow collection. */
const NOT_FLOW_START = classes('?&*!%@`#|>}]')
/** What may follow a `:` that ends a key in a flow collection. */
const AFTER_FLOW_COLON = classes(' ,]}')
const isIn = (table: Uint8Array, c: number) => c < 128 && table[c] === 1

/**
 * How many keys the file's mappings hold, written as plain block YAML; undefined when a line is
 * anything else. Lines of block scalars are content, not keys: skipped. One pass over the text by
 * index, no string per line: it runs on every file, cold.
 */
export function countKeys(s: string): number | undefined {
  let keys = 0
  /** While in a block scalar: the column its content must be deeper than. */
  let scalarOf = -1
  for (let start = 0; start < s.length; ) {
    let end = s.indexOf('\n', start)
    if (end < 0) end = s.length
    const next = end + 1
    if (end > start && s.charCodeAt(end - 1) === 13) end--
    let i = start
    while (i < end && s.charCodeAt(i) === SPACE) i++
    const col = i - start
    if (scalarOf >= 0 && (i === end || col > scalarOf)) {
      start = next
      continue
    }
    scalarOf = -1
    let c = i < end ? s.charCodeAt(i) : -1
    if (c < 0 || c === HASH) {
      start = next
      continue
    }
    if (c === TAB || (col === 0 && (s.startsWith('---', i) || s.startsWith('...', i) || c === 37))) return undefined
    // Sequence entries: `- `, `- - `...
    let parent = col
    let items = 0
    while (c === DASH && (i + 1 === end || s.charCodeAt(i + 1) === SPACE)) {
      parent = i - start
      items++
      i++
      while (i < end && s.charCodeAt(i) === SPACE) i++
      c = i < end ? s.charCodeAt(i) : -1
    }
    if (c < 0 || c === HASH) {
      start = next
      continue
    }
    if (!isIn(NOT_PLAIN, c) && !(c === DASH && s.charCodeAt(i + 1) === SPACE)) {
      const colon = keyEnd(s, i, end)
      if (colon > i) {
        if (c === LESS && s.startsWith('<<', i) && s.slice(i, colon).trimEnd() === '<<') return undefined
        keys++
        parent = i - start
        i = colon + 1
        while (i < end && s.charCodeAt(i) === SPACE) i++
      } else if (!items) return undefined // a scalar on a line of its own: a multi-line plain scalar
      // else a plain scalar in a sequence: read below
    }
    const value = valueKeys(s, i, end)
    if (value === undefined) return undefined
    if (value === 'block') scalarOf = parent
    else keys += value
    start = next
  }
  return keys
}

/** The `:` that ends a plain key starting at `i` (followed by a space or the end of the line), or -1. */
function keyEnd(s: string, i: number, end: number): number {
  // indexOf, not a loop over characters: this runs once per line of the file, before any JIT.
  let j = s.indexOf(':', i)
  while (j >= 0 && j + 1 < end && s.charCodeAt(j + 1) !== SPACE) j = s.indexOf(':', j + 1)
  if (j < 0 || j >= end) return -1
  // A ` #` (a comment) or a tab before the colon: not a plain key.
  for (let k = i; k < j; k++) {
    const c = s.charCodeAt(k)
    if (c === TAB || (c === HASH && k > i && s.charCodeAt(k - 1) === SPACE)) return -1
  }
  return j
}

/** Nothing but spaces and a comment from `i` to the end of the line. */
function blankFrom(s: string, i: number, end: number): boolean {
  while (i < end && s.charCodeAt(i) === SPACE) i++
  return i === end || s.charCodeAt(i) === HASH
}

/** The keys in the value from `i` to `end`; 'block' for a block scalar's header; undefined: not plain. */
function valueKeys(s: string, i: number, end: number): number | 'block' | undefined {
  if (i === end) return 0
  const c = s.charCodeAt(i)
  if (c === HASH) return 0
  if (c === PIPE || c === GREATER) return BLOCK_SCALAR.test(s.slice(i, end)) ? 'block' : undefined
  if (c === BRACE_OPEN || c === BRACKET_OPEN) {
    const flow = flowKeys(s, i, end)
    return flow && blankFrom(s, flow.end, end) ? flow.keys : undefined
  }
  if (c === QUOTE_DOUBLE || c === QUOTE_SINGLE) {
    const after = quoteEnd(s, i, end)
    return after > 0 && blankFrom(s, after, end) ? 0 : undefined
  }
  if (isIn(NOT_PLAIN, c) || (c === DASH && (i + 1 === end || s.charCodeAt(i + 1) === SPACE))) return undefined
  return 0
}

/** Where a quoted scalar starting at `i` ends (past its closing quote), or -1 when not on this line. */
function quoteEnd(s: string, i: number, end: number): number {
  const q = s.charCodeAt(i)
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j)
    if (q === QUOTE_DOUBLE && c === BACKSLASH) j++
    else if (c === q) {
      if (q === QUOTE_SINGLE && s.charCodeAt(j + 1) === QUOTE_SINGLE) j++
      else return j + 1
    }
  }
  return -1
}

/** A flow collection closed on this line: its mappings' keys and where it ends; undefined otherwise. */
function flowKeys(s: string, start: number, end: number): { keys: number; end: number } | undefined {
  const mapping = s.charCodeAt(start) === BRACE_OPEN
  const close = mapping ? BRACE_CLOSE : BRACKET_CLOSE
  let keys = 0
  let i = start + 1
  let entry = false
  let colon = false
  while (i < end) {
    const c = s.charCodeAt(i)
    if (c === SPACE) i++
    else if (c === close || c === COMMA) {
      if (entry) {
        if (mapping) keys++
        // `[a: 1]` is a mapping of one pair inside a sequence: not plain enough.
        else if (colon) return undefined
      }
      entry = colon = false
      i++
      if (c === close) return { keys, end: i }
    } else if (c === BRACE_OPEN || c === BRACKET_OPEN) {
      const inner = flowKeys(s, i, end)
      if (!inner) return undefined
      keys += inner.keys
      i = inner.end
      entry = true
    } else if (c === QUOTE_DOUBLE || c === QUOTE_SINGLE) {
      const after = quoteEnd(s, i, end)
      if (after < 0) return undefined
      i = after
      entry = true
    } else if (c === COLON && (i + 1 === end || isIn(AFTER_FLOW_COLON, s.charCodeAt(i + 1)) || s.charCodeAt(i - 1) === QUOTE_DOUBLE || s.charCodeAt(i - 1) === QUOTE_SINGLE)) {
      // A value indicator (in a plain word, `http://x`, a colon is part of the word).
      if (!entry) return undefined
      colon = true
      i++
    } else if ((!entry && isIn(NOT_FLOW_START, c)) || (c === HASH && s.charCodeAt(i - 1) === SPACE) || c === TAB) return undefined
    else {
      entry = true
      i++
    }
  }
  return undefined
}
