/** Where a value sits in the file's data: keys and indexes from the root. */
export type DataPath = (string | number)[]

type Fn = (s: string, path: DataPath) => unknown

/**
 * The data with `fn` applied to every string in it, copy on write: what holds no changed string is
 * returned as it is, not copied (a big file is mostly that). `path` is where the string is; it grows
 * and shrinks as the walk goes (take a copy to keep it), so there is no array per value of the file.
 */
export function mapStrings(value: unknown, fn: Fn, path: DataPath = []): unknown {
  if (typeof value === 'string') return fn(value, path)
  if (value === null || typeof value !== 'object') return value
  return Array.isArray(value) ? mapArray(value, fn, path) : mapObject(value as Record<string, unknown>, fn, path)
}

/*
 * Leaves are handled in the loops below, not by a call each: most values of a file are strings,
 * numbers and booleans, and these walks run over every value of the file before any JIT warms up.
 */

function mapArray(value: unknown[], fn: Fn, path: DataPath): unknown[] {
  let out: unknown[] | undefined
  for (let i = 0; i < value.length; i++) {
    const v = value[i]
    if (v === null || (typeof v !== 'object' && typeof v !== 'string')) continue
    path.push(i)
    const w = typeof v === 'string' ? fn(v, path) : Array.isArray(v) ? mapArray(v, fn, path) : mapObject(v as Record<string, unknown>, fn, path)
    path.pop()
    if (w !== v) (out ??= [...value])[i] = w
  }
  return out ?? value
}

function mapObject(obj: Record<string, unknown>, fn: Fn, path: DataPath): Record<string, unknown> {
  let out: Record<string, unknown> | undefined
  const keys = Object.keys(obj)
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]
    const v = obj[k]
    if (v === null || (typeof v !== 'object' && typeof v !== 'string')) continue
    path.push(k)
    const w = typeof v === 'string' ? fn(v, path) : Array.isArray(v) ? mapArray(v, fn, path) : mapObject(v as Record<string, unknown>, fn, path)
    path.pop()
    // defineProperty: a key `__proto__` is data here, as in the file.
    if (w !== v) Object.defineProperty((out ??= { ...obj }), k, { value: w, writable: true, enumerable: true, configurable: true })
  }
  return out ?? obj
}
